import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { type Model, Types } from 'mongoose';
import type { SealedSecret, SealedSecretStore } from '../../secrets/secrets.ports.js';
import { secretContext } from '../installation-runtime.js';
import { InstallationDoc, RetainedSettingsDoc } from './installation.schema.js';

const PAGE = 200;

interface SealedDoc {
  _id: Types.ObjectId;
  secrets?: Record<string, unknown>;
  backups?: Array<Record<string, unknown>>;
}

/**
 * SEALED_SECRETS for the secret rotation: every sealed value the installation module keeps (an installation's
 * secret settings, those of its backups, and retained settings), each with the context it was sealed for, and a
 * compare-and-set re-seal (a value changed meanwhile is left for the next run).
 */
@Injectable()
export class SealedSecretsAdapter implements SealedSecretStore {
  constructor(
    @InjectModel(InstallationDoc.name) private readonly installations: Model<InstallationDoc>,
    @InjectModel(RetainedSettingsDoc.name) private readonly retained: Model<RetainedSettingsDoc>,
  ) {}

  async *all(): AsyncGenerator<SealedSecret> {
    for (const collection of ['installations', 'retained_settings'] as const) {
      const model = (collection === 'installations' ? this.installations : this.retained) as Model<InstallationDoc>;
      let after: Types.ObjectId | null = null;
      for (;;) {
        const filter: Record<string, unknown> = after === null ? {} : { _id: { $gt: after } };
        const docs: SealedDoc[] = await model
          .find(filter, { secrets: 1, backups: 1 })
          .sort({ _id: 1 })
          .limit(PAGE)
          .lean<SealedDoc[]>()
          .exec();
        if (!docs.length) break;
        for (const doc of docs) {
          const id = String(doc._id);
          for (const [key, sealed] of Object.entries(doc.secrets ?? {})) {
            if (typeof sealed === 'string') {
              yield { collection, id, path: `secrets.${key}`, context: secretContext(id, key), sealed };
            }
          }
          for (const [i, backup] of (doc.backups ?? []).entries()) {
            const secrets = (backup.secrets ?? {}) as Record<string, unknown>;
            for (const [key, sealed] of Object.entries(secrets)) {
              if (typeof sealed === 'string') {
                yield { collection, id, path: `backups.${i}.secrets.${key}`, context: secretContext(id, key), sealed };
              }
            }
          }
        }
        after = docs[docs.length - 1]._id;
      }
    }
  }

  async replace(secret: SealedSecret, sealed: string): Promise<boolean> {
    const model = (
      secret.collection === 'installations' ? this.installations : this.retained
    ) as Model<InstallationDoc>;
    const res = await model
      .updateOne(
        { _id: new Types.ObjectId(secret.id), [secret.path]: secret.sealed },
        { $set: { [secret.path]: sealed } },
      )
      .exec();
    return res.modifiedCount === 1;
  }
}
