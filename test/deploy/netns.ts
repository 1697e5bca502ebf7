import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import path from 'node:path';

/**
 * Simulated hosts for the scale-out tests: network namespaces joined by veth
 * pairs to one bridge in the root namespace. The bridge holds the "server"
 * address (.1, where the test's Redis and MongoDB listen); host i is .(10+i).
 * Inside a host nothing listens on loopback, so its workers can only reach
 * Redis and MongoDB over the bridge. Each host also gets its own UTS namespace,
 * so its processes see (and log) their own hostname. Root only.
 *
 * Names are unique to the test run (several runs may share the machine), and
 * `destroy()` removes everything, also after a failure halfway through `create`.
 */
const ROOT = path.resolve(__dirname, '../..');

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface Host {
  name: string;
  netns: string;
  address: string;
  /** The root-namespace end of its veth pair. */
  veth: string;
}

export class HostNetwork {
  readonly bridge: string;
  /** The address of the bridge: servers in the root namespace listen here. */
  readonly serverAddress: string;
  readonly hosts: Host[] = [];
  private readonly subnet: string;
  private readonly tag: string;

  constructor(runTag: string) {
    // Interface names: at most 15 characters.
    this.tag = runTag.slice(0, 6);
    this.bridge = `pb${this.tag}`;
    // A /24 in 10.200–249.x chosen at random, so concurrent runs do not clash.
    this.subnet = `10.${randomInt(200, 250)}.${randomInt(0, 256)}`;
    this.serverAddress = `${this.subnet}.1`;
  }

  create(count: number): void {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    ip('addr', 'add', `${this.serverAddress}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
    for (let i = 1; i <= count; i++) {
      const veth = `pv${this.tag}${i}`;
      const host: Host = { name: `host-${i}`, netns: `pn${this.tag}-${i}`, address: `${this.subnet}.${10 + i}`, veth };
      ip('netns', 'add', host.netns);
      this.hosts.push(host);
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`);
      ip('link', 'set', `${veth}p`, 'netns', host.netns);
      ip('link', 'set', veth, 'master', this.bridge, 'up');
      ip('-n', host.netns, 'link', 'set', `${veth}p`, 'name', 'eth0');
      ip('-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
      ip('-n', host.netns, 'link', 'set', 'eth0', 'up');
      ip('-n', host.netns, 'link', 'set', 'lo', 'up');
    }
  }

  /** Process ids inside a host's namespace. */
  pids(host: Host): number[] {
    const out = execFileSync('ip', ['netns', 'pids', host.netns], { encoding: 'utf8' });
    return out.split('\n').filter(Boolean).map(Number);
  }

  /** Kills every process of the host at once, as a power cut would. */
  killHost(host: Host): number[] {
    const pids = this.pids(host);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return pids;
  }

  /**
   * Kills what still runs in the hosts, deletes the veth pairs, the namespaces and the bridge.
   * The veths go first and explicitly: the kernel frees a deleted namespace (and the veth
   * pair inside it) asynchronously, seconds later.
   */
  destroy(): void {
    for (const host of this.hosts) {
      try {
        this.killHost(host);
      } catch {
        // namespace already gone
      }
      try {
        ip('link', 'delete', host.veth);
      } catch {
        // never created, or already gone
      }
      try {
        ip('netns', 'delete', host.netns);
      } catch {
        // already gone
      }
    }
    try {
      ip('link', 'delete', this.bridge);
    } catch {
      // never created
    }
  }
}

export interface HostProcess {
  host: Host;
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Starts `scripts/start.ts` inside a host (`ip netns exec` + its own hostname),
 * resolving once it logged "worker ready" (role worker) or printed its url.
 */
export function startOnHost(host: Host, env: Record<string, string>): Promise<HostProcess> {
  const script = `hostname ${host.name} && exec "$0" --import tsx scripts/start.ts`;
  const child = spawn('ip', ['netns', 'exec', host.netns, 'unshare', '--uts', 'sh', '-c', script, process.execPath], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle: HostProcess = { host, child, output: () => output, exited };
  return new Promise((resolve, reject) => {
    const onData = (buf: Buffer) => {
      output += buf.toString();
      if (output.includes('"msg":"worker ready"') || /Paddock is up: http/.test(output)) resolve(handle);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`process on ${host.name} exited (${code}) before it was ready:\n${output.slice(-3000)}`)));
  });
}

/** The JSON log lines of a process that carry `msg`. */
export function logLines(output: string, msg: string): Record<string, any>[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, any>);
}
