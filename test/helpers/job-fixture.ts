/**
 * A store, a hand-driven clock, a recording job runner and the job scheduler plus JobInvocation
 * controller, for the scheduled-jobs controller tests. The wall clock the controllers read and
 * the work queues' timers are one FakeTimers, so `advance` moves time and fires requeues.
 */

import { createJobInvocationController } from "../../src/controllers/job-invocation-controller.js";
import type { JobRunner, JobRunRequest, JobRunResult } from "../../src/controllers/job-runner.js";
import { createJobScheduler } from "../../src/controllers/job-scheduler.js";
import type { Controller } from "../../src/controllers/runtime/controller.js";
import { createManager, type Manager } from "../../src/controllers/runtime/manager.js";
import type { App } from "../../src/resources/app.js";
import type { Deployment } from "../../src/resources/deployment.js";
import type { JobInvocation } from "../../src/resources/job-invocation.js";
import { API_VERSION } from "../../src/resources/meta.js";
import { newDeployment } from "../../src/resources/new-deployment.js";
import type { JobSpec } from "../../src/spec/index.js";
import type { Store } from "../../src/store/store.js";
import { FakeTimers } from "./fake-timers.js";
import { type TempStore, tempStore } from "./temp-store.js";
import { waitFor } from "./wait-for.js";

/** The namespace of every fixture object. */
export const NS = "acme";

/** What the recording runner does for one call. */
export type RunPlan = { kind: "exit"; code: number } | { kind: "throw"; message: string } | { kind: "block" };

/** One recorded runner call. */
export interface RunCall {
  invocation: string;
  aborted: boolean;
}

/** A JobRunner that records calls and plays queued plans (default: exit 0). */
export class RecordingRunner implements JobRunner {
  readonly calls: RunCall[] = [];
  readonly #plans: RunPlan[] = [];

  plan(...plans: RunPlan[]): void {
    this.#plans.push(...plans);
  }

  async run({ invocation, signal, log }: JobRunRequest): Promise<JobRunResult> {
    const call = { invocation: invocation.metadata.name, aborted: false };
    this.calls.push(call);
    log(`running ${invocation.spec.job}`);
    const plan = this.#plans.shift() ?? { kind: "exit", code: 0 };
    switch (plan.kind) {
      case "exit":
        return { exitCode: plan.code };
      case "throw":
        throw new Error(plan.message);
      case "block":
        return new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            call.aborted = true;
            reject(new Error("aborted"));
          });
        });
      default: {
        const unknown: never = plan;
        throw new Error(`bad plan ${JSON.stringify(unknown)}`);
      }
    }
  }
}

/** A scheduled job spec. */
export function cronJob(name: string, cron: string, extra: Partial<JobSpec> = {}): JobSpec {
  return {
    name,
    kind: "SCHEDULED",
    schedule: { cron, time_zone: "UTC" },
    github: { repo: "acme/jobs", branch: "main" },
    run_command: "./run",
    ...extra,
  };
}

/** The fixture; see the file comment. */
export class JobFixture {
  readonly timers = new FakeTimers();
  readonly runner = new RecordingRunner();
  readonly #temp: TempStore;
  readonly #start: number;
  store: Store;
  manager: Manager | undefined;
  controllers: Controller[] = [];

  private constructor(temp: TempStore, start: Date) {
    this.#temp = temp;
    this.#start = start.getTime();
    this.store = temp.open();
  }

  /** A fixture whose clock starts at `start`. */
  static async create(start: Date): Promise<JobFixture> {
    return new JobFixture(await tempStore(), start);
  }

  /** The fake wall clock. */
  now = (): Date => new Date(this.#start + this.timers.now());

  /** Starts the scheduler and the JobInvocation controller (again, after `restart`, on a reopened store). */
  async start(scheduler: { historyLimit?: number } = {}): Promise<void> {
    const queue = { timers: this.timers };
    this.controllers = [
      createJobScheduler({ store: this.store, now: this.now, queue, ...scheduler }),
      createJobInvocationController({ store: this.store, runner: this.runner, now: this.now, queue }),
    ];
    this.manager = createManager({ store: this.store, controllers: this.controllers });
    await this.manager.start();
  }

  /** Stops the controllers and reopens the store: a control-plane restart. */
  async restart(): Promise<void> {
    await this.manager?.stop();
    this.manager = undefined;
    this.store = this.#temp.open();
  }

  async cleanup(): Promise<void> {
    await this.manager?.stop();
    await this.#temp.cleanup();
  }

  /** Creates the App `shop` with `jobs` and a Deployment of it in `phase`, active when ACTIVE. */
  async app(
    jobs: JobSpec[],
    phase: "ACTIVE" | "BUILDING" = "ACTIVE",
  ): Promise<{ app: App; deployment: Deployment }> {
    const app = await this.store.create<App>({
      apiVersion: API_VERSION,
      kind: "App",
      metadata: { name: "shop", namespace: NS },
      spec: { appSpec: { name: "shop", jobs } },
    });
    const deployment = await this.deploy(app, "shop-d1", phase);
    return { app: await this.store.get<App>("App", { namespace: NS, name: "shop" }), deployment };
  }

  /** A Deployment of `app`'s current spec (or `jobs`) in `phase`, made the active one when ACTIVE. */
  async deploy(app: App, name: string, phase: "ACTIVE" | "BUILDING", jobs?: JobSpec[]): Promise<Deployment> {
    const fresh = await this.store.get<App>("App", { namespace: NS, name: app.metadata.name });
    const created = await this.store.create<Deployment>(
      newDeployment(fresh, {
        name,
        cause: "test",
        causeDetails: { type: "MANUAL", action: "CREATE_DEPLOYMENT" },
        now: this.now(),
        ...(jobs === undefined ? {} : { appSpec: { name: app.metadata.name, jobs } }),
      }),
    );
    const status = { ...(created.status ?? ({} as never)), phase };
    const deployment = await this.store.updateStatus<Deployment>({ ...created, status });
    if (phase === "ACTIVE") {
      await this.store.updateStatus<App>({ ...fresh, status: { ...fresh.status, activeDeployment: name } });
    }
    return deployment;
  }

  async invocations(): Promise<JobInvocation[]> {
    const { items } = await this.store.list<JobInvocation>("JobInvocation", { namespace: NS });
    return items.sort((a, b) => a.spec.scheduledAt.localeCompare(b.spec.scheduledAt));
  }

  async invocation(name: string): Promise<JobInvocation> {
    return this.store.get<JobInvocation>("JobInvocation", { namespace: NS, name });
  }

  async appNow(): Promise<App> {
    return this.store.get<App>("App", { namespace: NS, name: "shop" });
  }

  /** Waits until some queue has a timer due exactly `ms` from now, then moves the clock by `ms`. */
  async advanceWhenAsked(ms: number): Promise<void> {
    await waitFor(() => this.timers.pendingIn(ms), 5000, `a timer due in ${ms} ms`);
    this.timers.advance(ms);
  }

  /** Waits until the invocation `name` exists and passes `test`. */
  async waitForInvocation(
    name: string,
    test: (i: JobInvocation) => boolean,
    what: string,
  ): Promise<JobInvocation> {
    await waitFor(
      async () => {
        const inv = await this.invocation(name).catch(() => undefined);
        return inv !== undefined && test(inv);
      },
      5000,
      `${name}: ${what}`,
    );
    return this.invocation(name);
  }
}
