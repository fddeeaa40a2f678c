import { OmitType } from '@nestjs/swagger';
import { CreateUserDto } from './create-user.dto.js';

/** Self sign-up: the same fields as an admin-created user, without choosing roles. */
export class RegisterUserDto extends OmitType(CreateUserDto, ['roles'] as const) {}
