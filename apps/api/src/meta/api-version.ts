/**
 * The integer API version. Bump it with an entry in openapi/CHANGELOG.md whenever the contract in
 * openapi/openapi.json changes; CI refuses a changed contract under an unchanged version.
 */
export const API_VERSION = 28;
