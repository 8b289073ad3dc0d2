// Program-side classes for the host resources of the nixlab provider plugin, made from their
// declarations (provider/host/*.ts).
import { activationDeclaration } from "../host/activation";
import type { sshConnection } from "../host/ssh";
import { suiteRunDeclaration } from "../host/suite-run";
import { type ObjectArgs, type ResourceArgs, resourceClass } from "./resource-class";

export type { SuiteName } from "../../suite-results/types";

/** Activates a closure on a host over SSH, rolling back when it fails or the host goes dark. */
export class Activation extends resourceClass(activationDeclaration) {}
/** Runs a test suite on a guest over SSH and archives its results here (provider/host/suite-run.ts). */
export class SuiteRun extends resourceClass(suiteRunDeclaration) {}

export type ActivationArgs = ResourceArgs<typeof Activation>;
export type SuiteRunArgs = ResourceArgs<typeof SuiteRun>;
export type SshConnectionArgs = ObjectArgs<typeof sshConnection>;
/** SSH settings without the destination (for store URIs that carry user and host). */
export type SshSettingsArgs = Omit<SshConnectionArgs, "host" | "user">;
