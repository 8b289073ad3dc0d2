// Program-side classes for the host resources of the nixlab provider plugin, made from their
// declarations (provider/host/*.ts).
import { activationDeclaration } from "../host/activation";
import type { sshConnection } from "../host/ssh";
import { suiteRunDeclaration } from "../host/suite-run";
import type { ArgsOf } from "../schema/declare";
import { type ArgsFor, type ObjectArgs, resourceClass } from "./resource-class";

export type { SuiteName } from "../../suite-results/types";

export type SshConnectionArgs = ObjectArgs<typeof sshConnection>;
/** SSH settings without the destination (for store URIs that carry user and host). */
export type SshSettingsArgs = Omit<SshConnectionArgs, "host" | "user">;

export type ActivationArgs = ArgsFor<ArgsOf<typeof activationDeclaration>>;
/** Activates a closure on a host over SSH, rolling back when it fails or the host goes dark. */
export const Activation = resourceClass(activationDeclaration);
export type Activation = InstanceType<typeof Activation>;

export type SuiteRunArgs = ArgsFor<ArgsOf<typeof suiteRunDeclaration>>;
/** Runs a test suite on a guest over SSH and archives its results here (provider/host/suite-run.ts). */
export const SuiteRun = resourceClass(suiteRunDeclaration);
export type SuiteRun = InstanceType<typeof SuiteRun>;
