/** The API and authority suites on the embedded SQLite store. */
import { registerApiSuite } from "./api_suite.ts";
import { registerAuthoritySuite } from "./authority_suite.ts";
import { sqliteFactory } from "./helpers.ts";

registerApiSuite("sqlite", () => sqliteFactory);
registerAuthoritySuite("sqlite", () => sqliteFactory);
