/**
 * The hostile fixtures on SANDBOX_RUNTIME (Docker's default runtime when unset):
 * see hostile-suite.ts. hostile-runsc.test.ts runs them under gVisor too.
 */
import { describeHostile } from './hostile-suite';

describeHostile(process.env.SANDBOX_RUNTIME || undefined);
