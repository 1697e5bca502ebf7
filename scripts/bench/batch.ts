/**
 * The bench's batch workload: generated Python programs shaped like what a
 * model writes for a task with tests — one function, then 5–10 asserts on it,
 * then one line saying so. Deterministic (a seeded generator), so every run of
 * the bench and both designs get the same programs.
 */

export interface BatchProgram {
  code: string;
  /** What the program prints when every assert holds. */
  stdout: string;
}

interface Task {
  name: string;
  body: string;
  /** Python reference values for `name(arg)`, computed here in TypeScript. */
  expect: (n: number) => string;
}

const TASKS: Task[] = [
  {
    name: 'fib',
    body: 'def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n',
    expect: (n) => {
      let a = 0n;
      let b = 1n;
      for (let i = 0; i < n; i++) [a, b] = [b, a + b];
      return a.toString();
    },
  },
  {
    name: 'digit_sum',
    body: 'def digit_sum(n):\n    return sum(int(d) for d in str(n))\n',
    expect: (n) => String([...String(n)].reduce((s, d) => s + Number(d), 0)),
  },
  {
    name: 'is_prime',
    body:
      'def is_prime(n):\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n' +
      '        if n % i == 0:\n            return False\n        i += 1\n    return True\n',
    expect: (n) => {
      if (n < 2) return 'False';
      for (let i = 2; i * i <= n; i++) if (n % i === 0) return 'False';
      return 'True';
    },
  },
  {
    name: 'collatz_steps',
    body: 'def collatz_steps(n):\n    steps = 0\n    while n != 1:\n        n = n // 2 if n % 2 == 0 else 3 * n + 1\n        steps += 1\n    return steps\n',
    expect: (n) => {
      let steps = 0;
      for (let m = n; m !== 1; steps++) m = m % 2 === 0 ? m / 2 : 3 * m + 1;
      return String(steps);
    },
  },
  {
    name: 'squares_sum',
    body: 'def squares_sum(n):\n    return sum(i * i for i in range(1, n + 1))\n',
    expect: (n) => String((n * (n + 1) * (2 * n + 1)) / 6),
  },
];

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` programs, each a function with 5–10 asserts; program i prints `ok i`. */
export function generateBatch(count: number, seed = 11): BatchProgram[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const task = TASKS[i % TASKS.length]!;
    const asserts = 5 + Math.floor(next() * 6);
    const lines = Array.from({ length: asserts }, () => {
      const n = 1 + Math.floor(next() * 60);
      return `assert ${task.name}(${n}) == ${task.expect(n)}, ${JSON.stringify(`${task.name}(${n})`)}`;
    });
    return { code: `${task.body}\n\n${lines.join('\n')}\nprint("ok ${i}")\n`, stdout: `ok ${i}\n` };
  });
}
