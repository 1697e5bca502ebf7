/**
 * TEST AND DEMO AID — the tasks the demo model (demo.ts) can write code for,
 * each with a working solution per language, tests in Paddock's assert style,
 * and a line that shows the solution at work (what an agent run prints).
 * Matched against the task's text; anything else gets an honest refusal.
 */
import type { TestCase } from '../../../core/testing';

export type DemoLanguage = 'python' | 'javascript';

export interface DemoSolution {
  code: string;
  tests: TestCase[];
  /** Appended to `code` in an agent run: prints the solution's answer for an example. */
  show: string;
}

export interface DemoTask {
  name: string;
  match: RegExp;
  solutions: Partial<Record<DemoLanguage, DemoSolution>>;
}

export const DEMO_TASKS: DemoTask[] = [
  {
    name: 'fizzbuzz',
    match: /fizz\s*buzz/i,
    solutions: {
      python: {
        code: 'def fizzbuzz(n):\n    out = []\n    for i in range(1, n + 1):\n        word = ("Fizz" if i % 3 == 0 else "") + ("Buzz" if i % 5 == 0 else "")\n        out.append(word or str(i))\n    return out\n',
        tests: [
          { name: 'start', code: 'assert fizzbuzz(5) == ["1", "2", "Fizz", "4", "Buzz"]' },
          { name: 'fifteen', code: 'assert fizzbuzz(15)[-1] == "FizzBuzz"' },
          { name: 'zero', code: 'assert fizzbuzz(0) == []' },
        ],
        show: 'print(" ".join(fizzbuzz(15)))',
      },
      javascript: {
        code: 'function fizzbuzz(n) {\n  const out = [];\n  for (let i = 1; i <= n; i++) out.push((i % 3 === 0 ? "Fizz" : "") + (i % 5 === 0 ? "Buzz" : "") || String(i));\n  return out;\n}\n',
        tests: [
          { name: 'start', code: 'assert.deepStrictEqual(fizzbuzz(5), ["1", "2", "Fizz", "4", "Buzz"]);' },
          { name: 'fifteen', code: 'assert.strictEqual(fizzbuzz(15)[14], "FizzBuzz");' },
          { name: 'zero', code: 'assert.deepStrictEqual(fizzbuzz(0), []);' },
        ],
        show: 'console.log(fizzbuzz(15).join(" "));',
      },
    },
  },
  {
    name: 'palindrome',
    match: /palindrome/i,
    solutions: {
      python: {
        code: 'def is_palindrome(s):\n    kept = [c.lower() for c in s if c.isalnum()]\n    return kept == kept[::-1]\n',
        tests: [
          { name: 'sentence', code: 'assert is_palindrome("A man, a plan, a canal: Panama")' },
          { name: 'word', code: 'assert not is_palindrome("hello")' },
          { name: 'empty', code: 'assert is_palindrome("")' },
        ],
        show: 'print(is_palindrome("A man, a plan, a canal: Panama"))',
      },
      javascript: {
        code: 'function isPalindrome(s) {\n  const kept = s.toLowerCase().replace(/[^a-z0-9]/g, "");\n  return kept === [...kept].reverse().join("");\n}\n',
        tests: [
          { name: 'sentence', code: 'assert.strictEqual(isPalindrome("A man, a plan, a canal: Panama"), true);' },
          { name: 'word', code: 'assert.strictEqual(isPalindrome("hello"), false);' },
          { name: 'empty', code: 'assert.strictEqual(isPalindrome(""), true);' },
        ],
        show: 'console.log(isPalindrome("A man, a plan, a canal: Panama"));',
      },
    },
  },
  {
    name: 'primes',
    match: /\bprimes?\b/i,
    solutions: {
      python: {
        code: 'def primes_below(n):\n    sieve = [True] * max(n, 0)\n    out = []\n    for i in range(2, n):\n        if sieve[i]:\n            out.append(i)\n            for j in range(i * i, n, i):\n                sieve[j] = False\n    return out\n',
        tests: [
          { name: 'ten', code: 'assert primes_below(10) == [2, 3, 5, 7]' },
          { name: 'two', code: 'assert primes_below(2) == []' },
          { name: 'count', code: 'assert len(primes_below(10000)) == 1229' },
        ],
        show: 'print(primes_below(50))',
      },
    },
  },
  {
    name: 'mean',
    match: /\bmean\b|\baverage\b/i,
    solutions: {
      python: {
        code: 'def mean(xs):\n    return sum(xs) / len(xs)\n',
        tests: [
          { name: 'fraction', code: 'assert mean([1, 2]) == 1.5' },
          { name: 'single', code: 'assert mean([5]) == 5' },
          { name: 'negatives', code: 'assert mean([-1, 1, 3]) == 1' },
        ],
        show: 'print(mean([3, 5, 10]))',
      },
    },
  },
  {
    name: 'slugify',
    match: /slug/i,
    solutions: {
      javascript: {
        code: 'function slugify(s) {\n  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");\n}\n',
        tests: [
          { name: 'punctuation', code: "assert.strictEqual(slugify('Hello, World!'), 'hello-world');" },
          { name: 'spaces', code: "assert.strictEqual(slugify('  Many   spaces  '), 'many-spaces');" },
          { name: 'digits', code: "assert.strictEqual(slugify('Top 10 Tips'), 'top-10-tips');" },
        ],
        show: "console.log(slugify('Hello, Paddock World!'));",
      },
    },
  },
  {
    name: 'roman numerals',
    match: /roman/i,
    solutions: {
      javascript: {
        code: 'function toRoman(n) {\n  const table = [[1000, "M"], [900, "CM"], [500, "D"], [400, "CD"], [100, "C"], [90, "XC"], [50, "L"], [40, "XL"], [10, "X"], [9, "IX"], [5, "V"], [4, "IV"], [1, "I"]];\n  let out = "";\n  for (const [value, letters] of table) {\n    while (n >= value) {\n      out += letters;\n      n -= value;\n    }\n  }\n  return out;\n}\n',
        tests: [
          { name: '1994', code: "assert.strictEqual(toRoman(1994), 'MCMXCIV');" },
          { name: '4', code: "assert.strictEqual(toRoman(4), 'IV');" },
          { name: '3999', code: "assert.strictEqual(toRoman(3999), 'MMMCMXCIX');" },
        ],
        show: 'console.log(toRoman(2026));',
      },
    },
  },
];

export function findDemoTask(text: string): DemoTask | undefined {
  return DEMO_TASKS.find((t) => t.match.test(text));
}

/** For refusals: what the demo model can do. */
export function describeDemoTasks(): string {
  return DEMO_TASKS.map((t) => `${t.name} (${Object.keys(t.solutions).join(', ')})`).join('; ');
}
