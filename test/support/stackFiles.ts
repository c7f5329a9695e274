/** Stack files shared by the tests of the stack pipeline (components/stacks). */

/** A stack with a secret from a file, one from the environment, an external one and a config from a file. */
export const STACK_WITH_OBJECTS = `
services:
  app:
    image: swarmlab/whoami:latest
    secrets: [token, db]
    configs: [{source: conf, target: /etc/app.conf}]
secrets:
  token: {file: ./token.txt}
  db: {environment: DB_PASSWORD}
  ext: {external: true}
configs:
  conf: {file: conf/app.conf}
`;
