/**
 * `npm run test:deploy`: the deployment tests (test/deploy/): docker/compose.yaml,
 * worker hosts as network namespaces, Redis Cluster. Root only (namespaces,
 * bridges); one file at a time, since each starts a whole system.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/deploy'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 180000,
};
