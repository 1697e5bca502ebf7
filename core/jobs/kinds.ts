import type { ExperimentDoc } from '../experiments';
import type { PullDoc } from '../models/pull';
import type { RunDoc } from '../runs';
import type { SessionDoc } from '../sessions';
import type { Store } from '../store';
import type { JobCollection } from '../store/job-collection';
import type { JobData, JobDoc, JobName } from './model';

/**
 * A kind of job, as the one lifecycle needs to know it: where its documents
 * live, what its queue entries carry, and who may see it. Processing (workers)
 * and the HTTP helpers (api) take a descriptor; they do not know the kinds.
 */
export interface JobKind<D extends JobDoc = JobDoc> {
  readonly name: JobName;
  /** For messages: "run", "experiment", "model pull". */
  readonly noun: string;
  docs(store: Store): JobCollection<D>;
  jobData(doc: D): JobData;
  /** Whether `sub` (a non-admin) may see and cancel it. */
  visibleTo(doc: D, sub: string): boolean;
}

export const RUN_JOB: JobKind<RunDoc> = {
  name: 'run',
  noun: 'run',
  docs: (store) => store.runs,
  jobData: (doc) => ({ id: doc._id, kind: doc.kind, owner: doc.owner, priority: doc.request.priority ?? 'medium' }),
  visibleTo: (doc, sub) => doc.owner === sub,
};

export const EXPERIMENT_JOB: JobKind<ExperimentDoc> = {
  name: 'experiment',
  noun: 'experiment',
  docs: (store) => store.experiments,
  jobData: (doc) => ({ id: doc._id, kind: 'experiment', owner: doc.owner, priority: doc.request.priority ?? 'medium' }),
  visibleTo: (doc, sub) => doc.owner === sub,
};

/** A pull is shared: everyone who asked for it while it was active may see and cancel it. */
export const PULL_JOB: JobKind<PullDoc> = {
  name: 'pull',
  noun: 'model pull',
  docs: (store) => store.pulls,
  jobData: (doc) => ({ id: doc._id, kind: 'pull', owner: doc.owners[0] ?? '' }),
  visibleTo: (doc, sub) => doc.owners.includes(sub),
};

/** A session: its job is active for as long as a worker holds the session's container (core/sessions.ts). */
export const SESSION_JOB: JobKind<SessionDoc> = {
  name: 'session',
  noun: 'session',
  docs: (store) => store.sessions,
  jobData: (doc) => ({ id: doc._id, kind: 'session', owner: doc.owner }),
  visibleTo: (doc, sub) => doc.owner === sub,
};

export const JOB_KINDS: { [N in JobName]: JobKind } = {
  run: RUN_JOB as unknown as JobKind,
  experiment: EXPERIMENT_JOB as unknown as JobKind,
  pull: PULL_JOB as unknown as JobKind,
  session: SESSION_JOB as unknown as JobKind,
};
