import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CAPABILITIES, type Capability, type CapabilityInfo, RISK_LEVELS, type RiskLevel } from '@app/plugin-sdk';
import { ApiExample } from '@app/common';

/** One entry of the capability catalogue: what a plugin may ask for, and what granting it gives away. */
export class CapabilityInfoDto {
  /** The name manifests request it by and grants give it by. */
  @ApiProperty({ enum: CAPABILITIES, enumName: 'Capability', example: 'storage:write' })
  id: Capability;
  /** One sentence for whoever decides whether to grant it. */
  @ApiProperty({ example: "Write and delete keys in the installation's private key-value store." })
  description: string;
  /** How much harm a malicious plugin could do with it. */
  @ApiProperty({ enum: RISK_LEVELS, enumName: 'RiskLevel' })
  risk: RiskLevel;
  /** What the sandbox gets when it is granted. */
  @ApiExample('context.storage.set(key, value), context.storage.delete(key)')
  provides: string;
  /** Parameters a manifest gives with it (name → meaning); only `http:external` has any. */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { hosts: 'Allowed hosts' },
  })
  parameters?: Record<string, string>;

  static from(info: CapabilityInfo): CapabilityInfoDto {
    const dto: CapabilityInfoDto = {
      id: info.id,
      description: info.description,
      risk: info.risk,
      provides: info.provides,
    };
    if (info.parameters) dto.parameters = { ...info.parameters };
    return dto;
  }
}
