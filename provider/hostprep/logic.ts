// Pure logic of PreparedHost, one concept per module: inputs, their rules, their defaults and
// secrets, the containerd TOML, the host files, the host scripts (composed from the bash files
// under host/), their reports, the connection as kept, the comparable state and the diff rules.
// No I/O but reading host/.
//
// The scripts print one line per step: `HCP-STEP <step> changed <what>` or `HCP-STEP <step> unchanged`
// (or `skipped <why>`), facts as `HCP-FACT key=value`, warnings as `HCP-WARN <step>: text`, and a
// fatal, user-facing problem as `HCP-ERROR <step>: text` with exit status 42. Every step checks
// before it acts, so a second run on a prepared host reports only "unchanged".
export * from "./inputs";
export * from "./inputRules";
export * from "./normalize";
export * from "./containerdToml";
export * from "./hostFiles";
export * from "./script";
export * from "./report";
export * from "./connection";
export * from "./comparable";
export * from "./diff";
