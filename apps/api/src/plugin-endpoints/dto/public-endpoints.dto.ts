import { ApiExample, BodyExamples, ReadOnlyDate, ReadOnlyField, wireFields } from '@app/common';
import { IsBoolean } from 'class-validator';
import type { PublicEndpointsSwitch } from '../plugin-endpoints.entity.js';

/** PUT /api/plugins/{plugin}/public-endpoints/: the administrator's switch. */
@BodyExamples({ allow: { summary: 'Serve the public routes without credentials', value: { allowed: true } } })
export class SetPublicEndpointsDto {
  /** Let callers without credentials reach the endpoints the manifest declares `public`. */
  @ApiExample(true)
  @IsBoolean()
  allowed: boolean;
}

/** Whether the instance's installation of a plugin serves its public endpoints to callers without credentials. */
export class PublicEndpointsDto {
  /** The plugin key. */
  @ReadOnlyField('acme.auth')
  plugin: string;
  /** The instance's (global) installation it applies to. */
  @ReadOnlyField('665f1c2e8b3a4d0012345678')
  installation_id: string;
  /** Callers without credentials may reach the endpoints declared `public`. */
  @ReadOnlyField(true)
  allowed: boolean;
  /** The administrator who set it (user id). */
  @ReadOnlyField('665f1c2e8b3a4d0012345679')
  set_by: string;
  /** When it was set. */
  @ReadOnlyDate()
  set_at: string;

  static from(s: PublicEndpointsSwitch): PublicEndpointsDto {
    return { ...wireFields(s, 'installationId', 'allowed', 'setBy', 'setAt'), plugin: s.pluginKey };
  }
}
