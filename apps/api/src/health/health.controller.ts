import { Get, Res } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ApiController, Endpoint } from '@app/common';
import type { FastifyReply } from 'fastify';
import { LivenessResponseDto, ReadinessResponseDto } from './dto/health.dto.js';
import { HealthService } from './health.service.js';

@ApiController('health', 'health', 'public')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Endpoint({
    summary: 'Liveness',
    description:
      'Answers while the process is up, with version, uptime and the plugin runtime (worker threads alive, ' +
      'instances by state).',
  })
  liveness(): LivenessResponseDto {
    return this.health.liveness();
  }

  @Get('ready')
  @Endpoint({
    summary: 'Readiness',
    description:
      'Pings the database (with a 2 s deadline) and reports the message bus between API nodes; 200 when the ' +
      'server can serve requests, 503 while the database does not answer or the bus has been disconnected for ' +
      'more than 5 s. Also reports the plugin runtime, which is not a readiness condition.',
  })
  @ApiResponse({ status: 200, type: ReadinessResponseDto, description: 'Every dependency is up.' })
  @ApiResponse({ status: 503, type: ReadinessResponseDto, description: 'A dependency is down.' })
  async readiness(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessResponseDto> {
    const result = await this.health.readiness();
    if (result.status !== 'ready') void reply.status(503);
    return result;
  }
}
