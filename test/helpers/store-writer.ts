/**
 * Child process of the store crash test: opens the store at argv[2] and writes forever (a create,
 * then an update of a random known object), printing one JSON line per acknowledged write
 * (`{"name","rv","seq"}`) only after the write resolved. Prints `ready` once the store is open.
 * Usage: `node store-writer.js DB_PATH RUN`.
 */
import { API_VERSION, type Resource } from "../../src/resources/index.js";
import { openSqliteStore } from "../../src/store/index.js";

/** The resource the crash test writes: a counter whose `seq` grows on every update. */
export type Counter = Resource<"Counter", { seq: number }>;

function ack(object: Counter): void {
  const line = { name: object.metadata.name, rv: object.metadata.resourceVersion, seq: object.spec.seq };
  // Writes to a pipe are synchronous on Linux: once this returns, the parent will read the line.
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(path: string, run: string): Promise<void> {
  const store = openSqliteStore({ path });
  const known = (await store.list<Counter>("Counter")).items.map((item) => item.metadata.name);
  process.stdout.write("ready\n");
  for (let n = 0; ; n++) {
    const name = `r${run}-${n}`;
    ack(
      await store.create<Counter>({
        apiVersion: API_VERSION,
        kind: "Counter",
        metadata: { name },
        spec: { seq: 0 },
      }),
    );
    known.push(name);
    const target = known[Math.floor(Math.random() * known.length)] ?? name;
    const current = await store.get<Counter>("Counter", { name: target });
    ack(await store.update<Counter>({ ...current, spec: { seq: current.spec.seq + 1 } }));
  }
}

const [path, run] = process.argv.slice(2);
// `node --test dist/test` runs every file under the directory, this one too: without arguments
// it does nothing.
if (path !== undefined && run !== undefined) await main(path, run);
