import type { OrgRole } from '@app/common';

export type { OrgRole };

export interface Organisation {
  id: string;
  slug: string;
  name: string;
  description: string;
  createdBy: string;
  createdAt: Date;
}

export interface NewOrganisation {
  slug: string;
  name: string;
  description: string;
  createdBy: string;
}

export interface Membership {
  orgId: string;
  userId: string;
  role: OrgRole;
  joinedAt: Date;
}

export interface OrgFilter {
  /** Only these organisations; undefined means all of them. */
  ids?: string[];
  search?: string;
}

export const INVITATION_STATUSES = ['pending', 'accepted', 'declined', 'revoked', 'expired'] as const;
/** `expired` is never stored: a pending invitation past its `expiresAt` reads as expired. */
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];
export type StoredInvitationStatus = Exclude<InvitationStatus, 'expired'>;

/**
 * An invitation to join an organisation, addressed to what the inviter gave: an email address (lower-cased) or a
 * user id, whether or not an account has it, so the answer never tells which emails have accounts. Accepting it
 * takes its token, a secret shown once to the inviter and stored only as a hash, and the addressed account.
 */
export interface Invitation {
  id: string;
  orgId: string;
  invitee: string;
  role: OrgRole;
  status: InvitationStatus;
  invitedBy: string;
  createdAt: Date;
  expiresAt: Date;
  respondedAt: Date | null;
}

export interface NewInvitation {
  orgId: string;
  invitee: string;
  role: OrgRole;
  tokenHash: string;
  invitedBy: string;
  expiresAt: Date;
}

export interface InvitationFilter {
  orgId?: string;
  /** Addressed to any of these (a user's id and email). */
  invitees?: string[];
  status?: InvitationStatus;
}
