import { OmitType } from '@nestjs/swagger';
import { BodyExamples } from '@app/common';
import { CreateUserDto } from './create-user.dto.js';

/** Self sign-up: the same fields as an admin-created user, without choosing roles. */
@BodyExamples({
  signup: {
    summary: 'Your own account',
    value: { email: 'grace@example.com', password: 'choose-a-long-passphrase', name: 'Grace Hopper' },
  },
})
export class RegisterUserDto extends OmitType(CreateUserDto, ['roles'] as const) {}
