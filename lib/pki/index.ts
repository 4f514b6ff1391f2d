export * from "./logic";
export * from "./mint";
