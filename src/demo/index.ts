// The demo data set behind `modalfuse demo`: see dataset.ts for its design.
export { makeDemoDataset, MANIFEST_COLUMNS, type DemoDatasetOptions, type DemoDatasetSummary } from "./dataset.js";
export { EVENT_CLASSES, TABULAR_COLUMNS, VENUE_TYPES, type EventClass } from "./tabular.js";
