from flask import Flask

app = Flask(__name__)


@app.get("/api/")
def hello():
    return {"message": "Hello from Slipway"}
