export * from "./provider/dynamic";
