import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';

/** Asks the database whether it answers; the health module's only contact with Mongo. */
@Injectable()
export class DatabaseProbe {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  /** Resolves when a `ping` was answered; rejects otherwise. */
  async ping(): Promise<void> {
    const db = this.connection.db;
    if (!db) throw new Error('not connected');
    await db.command({ ping: 1 });
  }
}
