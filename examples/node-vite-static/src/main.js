document.querySelector("#app").textContent = "Hello from a Vite build on Slipway";
