import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { PLATFORM_ROLES } from '@app/common';
import { ArrayUnique, IsArray, IsIn, IsOptional } from 'class-validator';

/** An optional list of platform roles, validated and documented from one declaration. */
export function PlatformRolesField() {
  return applyDecorators(
    ApiPropertyOptional({ enum: PLATFORM_ROLES, enumName: 'PlatformRole', isArray: true, uniqueItems: true }),
    IsOptional(),
    IsArray(),
    ArrayUnique(),
    IsIn(PLATFORM_ROLES, { each: true }),
  );
}
