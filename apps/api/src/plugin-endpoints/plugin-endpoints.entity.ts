/**
 * The plugin surface's entities (issue 17): HTTP endpoints a plugin serves and Execute. It keeps one record of its
 * own, whether an administrator allowed an installation's `public` endpoints to be called without credentials.
 */

/** An administrator's decision about one installation's public endpoints. */
export interface PublicEndpointsSwitch {
  installationId: string;
  pluginKey: string;
  allowed: boolean;
  /** The administrator who set it. */
  setBy: string;
  setAt: Date;
}
