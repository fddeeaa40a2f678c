import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JsonLogger } from '@app/common';
import { OrgsService } from './orgs.service.js';

/** At start-up, gives data from before publisher names existed its names (OrgsService.claimMissingPublisherNames). */
@Injectable()
export class PublisherNamesBootstrap implements OnApplicationBootstrap {
  private readonly logger: JsonLogger;

  constructor(
    private readonly orgs: OrgsService,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('PublisherNames');
  }

  async onApplicationBootstrap(): Promise<void> {
    const unclaimable = await this.orgs.claimMissingPublisherNames();
    if (unclaimable.length) {
      this.logger.warn('Organisation slugs that are not their publisher names (a user or a reserved name has them)', {
        slugs: unclaimable,
      });
    }
  }
}
