import { Body, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiController, CurrentUser, Endpoint, PluginKeyParam } from '@app/common';
import type { AuthUser } from '@app/common';
import {
  BroadcastDto,
  BroadcastQueryDto,
  BroadcastResultDto,
  MessageResultDto,
  SendMessageDto,
} from './dto/message.dto.js';
import { MessagesService } from './messages.service.js';
import { BroadcastScopeError, SEND_ERRORS } from './messaging.errors.js';

/** Plugin-to-plugin messages and broadcast through the API (§4 messaging row). */
@ApiController('messaging', 'plugins')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post('broadcast')
  @HttpCode(200)
  @ApiOkResponse({ type: BroadcastResultDto })
  @Endpoint({
    summary: 'Broadcast a message to plugins',
    description:
      'Sends the message to the onMessage of every active installation granted `messages:receive`: every one ' +
      'for platform admins, or those of the organisation `org` for its admins; only plugins of ' +
      '`target_categories` when given, none of `exclude_plugins`. All are sent to side by side and each has ' +
      '`timeout_seconds`, so one slow plugin delays nobody else. Answers the plugins that answered (`delivered`) ' +
      'and those that did not, with why (`failed`).',
    errors: [BroadcastScopeError],
  })
  broadcast(
    @CurrentUser() caller: AuthUser,
    @Query() query: BroadcastQueryDto,
    @Body() body: BroadcastDto,
  ): Promise<BroadcastResultDto> {
    return this.messages.broadcast(caller, query.org, body);
  }

  @Post(':plugin/message')
  @HttpCode(200)
  @ApiOkResponse({ type: MessageResultDto })
  @Endpoint({
    summary: 'Send a message to a plugin',
    description:
      'Sends from your installation of `{plugin}` (which needs `messages:send`) to your installation of ' +
      '`target_plugin` (which needs `messages:receive`), each the one in your effective set: yours, else an ' +
      'organisation’s of yours, else the global one. With `target_plugin` equal to `{plugin}` you message the ' +
      'plugin yourself (`message.from` is null). The target’s onMessage answer comes back in `response`; if it ' +
      'throws, the answer is still 200 with `response.status` `error` and its message (the message was ' +
      'delivered, the plugin failed). No answer within `timeout_seconds` is 408; a target (or sender) that is not ' +
      'active is 409, a killed one 409 PLUGIN_KILLED.',
    errors: SEND_ERRORS,
  })
  send(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() body: SendMessageDto,
  ): Promise<MessageResultDto> {
    return this.messages.send(caller, key, body);
  }
}
