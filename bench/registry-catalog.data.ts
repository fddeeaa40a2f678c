/** The words and categories the catalog bench's plugins are made of (registry-catalog.server.ts) and queried by. */
export const CATEGORIES = [
  'iot',
  'ai',
  'data',
  'security',
  'devops',
  'finance',
  'media',
  'crm',
  'search',
  'integrations',
];
export const WORDS = [
  'sensor',
  'weather',
  'invoice',
  'backup',
  'chat',
  'metrics',
  'upload',
  'queue',
  'mail',
  'cache',
  'video',
];
