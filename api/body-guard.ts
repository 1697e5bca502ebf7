import type { NextFunction, Request, Response } from 'express';
import { UnsupportedMediaTypeError, ValidationError } from '../core/errors';

/**
 * What a request body must be before any handler (ours or Bull Board's) sees it:
 * JSON, an object, at most MAX_JSON_DEPTH levels deep, without `__proto__` keys.
 * Checked once for the whole app, in front of and right after express.json().
 */

/** Media types express.json() parses; every other body is refused, not silently left unparsed. */
export const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * Deeper bodies are refused. JSON.parse copes with any depth, but the code after it
 * recurses (JSON.stringify for the request hash and the response, the BSON
 * serialiser, zod): 100k levels of `[` would overflow the stack there. No request
 * body the API defines needs more than a handful of levels; metadata gets the rest.
 */
export const MAX_JSON_DEPTH = 64;

/** Before express.json(): a body that is not JSON is a 415 naming the expected type. */
export function requireJsonBodies(req: Request, _res: Response, next: NextFunction): void {
  if (!carriesBody(req) || req.is(JSON_TYPES)) return next();
  const type = req.headers['content-type'];
  const got = type ? `not ${JSON.stringify(type.slice(0, 100))}` : 'and none was given';
  next(new UnsupportedMediaTypeError(`a request body must be sent as Content-Type: application/json, ${got}`));
}

/** After express.json(): the parsed body's shape. Must not throw anything but a ValidationError. */
export function checkParsedBody(req: Request, _res: Response, next: NextFunction): void {
  if (req.body === undefined) return next();
  try {
    checkJsonValue(req.body);
    next();
  } catch (err) {
    next(err);
  }
}

/** Content-Length 0 (what many clients send with a bodiless POST) is no body, whatever its Content-Type. */
function carriesBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
}

interface Node {
  value: unknown;
  depth: number;
  parent?: Node;
  key?: string | number;
}

/** Walks the parsed body without recursion (recursion is what a deep body would break). */
export function checkJsonValue(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('request body must be a JSON object');
  const stack: Node[] = [{ value: body, depth: 1 }];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const { value, depth } = node;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw new ValidationError(`request body is nested too deeply (more than ${MAX_JSON_DEPTH} levels)`);
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, depth: depth + 1, parent: node, key: i }));
      continue;
    }
    for (const [k, v] of Object.entries(value)) {
      // JSON.parse makes `__proto__` an own key; copied into a plain object (zod does, for
      // records) it would set the prototype instead and vanish from what is stored.
      if (k === '__proto__') throw new ValidationError('request body has a key that is not allowed', [{ path: pathOf({ value: v, depth, parent: node, key: k }), message: 'this key is not allowed' }]);
      stack.push({ value: v, depth: depth + 1, parent: node, key: k });
    }
  }
}

function pathOf(node: Node): (string | number)[] {
  const path: (string | number)[] = [];
  for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
  return path;
}
