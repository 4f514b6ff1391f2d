// Entry point of the repository's Pulumi.yaml: the default stack on the local lab.
import * as pulumi from "@pulumi/pulumi";
import { configuredTenants, labStack, readLab } from "./defaultStack";

const cfg = new pulumi.Config();
const lab = readLab(cfg.get("labFile"));
module.exports = labStack(lab, configuredTenants(cfg, lab));
