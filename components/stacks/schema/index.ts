/*
 * Stack files: the subset of the compose format that `docker stack deploy` honours (compose file
 * format 3.x, as docker/cli validates it), plus the swarmlab shorthand `x-swarmlab`. Keys that
 * docker stack deploy ignores are accepted and reported as warnings (see stackWarnings).
 *
 * One file per concept, in the order a file is read: primitives, ports, mounts, deploy, service,
 * the file's top level, then the rules across fields and the warnings.
 */
export * from "./primitives";
export * from "./ports";
export * from "./mounts";
export * from "./deploy";
export * from "./service";
export * from "./file";
export * from "./crossField";
export * from "./warnings";
