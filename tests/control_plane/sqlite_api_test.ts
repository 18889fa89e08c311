/** The API suite on the embedded SQLite store. */
import { registerApiSuite } from "./api_suite.ts";
import { sqliteFactory } from "./helpers.ts";

registerApiSuite("sqlite", () => sqliteFactory);
