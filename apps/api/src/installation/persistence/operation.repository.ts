import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { isDuplicateKey, onDuplicateKey } from '@app/database';
import { type Model, Types } from 'mongoose';
import type { IdempotentAnswer, Operation, OperationPhase } from '../installation.entity.js';
import { OperationInProgressError } from '../installation.errors.js';
import { operationDoc, type OperationLean, toOperation } from './installation.mapper.js';
import { IdempotencyDoc, OperationDoc } from './operation.schema.js';

/** The operation journal (installation_operations): one document per multi-step operation in flight. */
@Injectable()
export class OperationRepository {
  constructor(@InjectModel(OperationDoc.name) private readonly operations: Model<OperationDoc>) {}

  newId(): string {
    return new Types.ObjectId().toHexString();
  }

  /** Journals an operation before its first change; OperationInProgressError while its target has another. */
  async begin(op: Operation): Promise<void> {
    await onDuplicateKey(
      () => this.operations.insertMany([operationDoc(op)]),
      () => new OperationInProgressError(),
    );
  }

  async setPhase(id: string, phase: OperationPhase): Promise<void> {
    await this.operations.updateOne({ _id: new Types.ObjectId(id) }, { $set: { phase } }).exec();
  }

  /** The last write of an operation: once it is gone, nothing of it is left to finish or undo. */
  async end(id: string): Promise<void> {
    await this.operations.deleteOne({ _id: new Types.ObjectId(id) }).exec();
  }

  /** Every operation in the journal, oldest first (start-up recovery). */
  async list(): Promise<Operation[]> {
    const docs = await this.operations.find({}).sort({ created_at: 1, _id: 1 }).lean<OperationLean[]>().exec();
    return docs.map(toOperation);
  }

  async count(): Promise<number> {
    return this.operations.countDocuments({}).exec();
  }
}

export type IdempotencyClaim =
  { kind: 'claimed' } | { kind: 'replay'; answer: IdempotentAnswer } | { kind: 'mismatch' } | { kind: 'in_progress' };

/** First answers of requests sent with an Idempotency-Key (installation_idempotency_keys). */
@Injectable()
export class IdempotencyRepository {
  constructor(@InjectModel(IdempotencyDoc.name) private readonly keys: Model<IdempotencyDoc>) {}

  /**
   * Claims `id` for a first request, or says what an earlier one left: its answer (same request), a mismatch
   * (another request under the key), or that it still runs. An expired entry, or a claim whose lease ran out
   * (its node died), is taken over.
   */
  async claim(
    id: string,
    callerId: string,
    fingerprint: string,
    now: Date,
    leaseMs: number,
    ttlMs: number,
  ): Promise<IdempotencyClaim> {
    const fresh = {
      _id: id,
      caller_id: callerId,
      fingerprint,
      state: 'in_progress' as const,
      status: null,
      body: null,
      lease_until: new Date(now.getTime() + leaseMs),
      expires_at: new Date(now.getTime() + ttlMs),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.keys.insertMany([fresh]);
        return { kind: 'claimed' };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      const doc = await this.keys.findById(id).lean<IdempotencyDoc>().exec();
      if (!doc) continue; // expired and removed meanwhile: claim it again
      const stale = doc.expires_at <= now || (doc.state === 'in_progress' && doc.lease_until <= now);
      if (!stale) {
        if (doc.fingerprint !== fingerprint) return { kind: 'mismatch' };
        if (doc.state === 'in_progress') return { kind: 'in_progress' };
        return { kind: 'replay', answer: { status: doc.status ?? 200, body: JSON.parse(doc.body ?? 'null') } };
      }
      const taken = await this.keys
        .updateOne(
          { _id: id, state: doc.state, lease_until: doc.lease_until, expires_at: doc.expires_at },
          { $set: fresh },
        )
        .exec();
      if (taken.modifiedCount === 1) return { kind: 'claimed' };
    }
    return { kind: 'in_progress' };
  }

  /** Stores the first answer, replayed until `expiresAt`. */
  async complete(id: string, answer: IdempotentAnswer, expiresAt: Date): Promise<void> {
    await this.keys
      .updateOne(
        { _id: id },
        { $set: { state: 'done', status: answer.status, body: JSON.stringify(answer.body), expires_at: expiresAt } },
      )
      .exec();
  }

  /** Gives the key up (the request failed in a way worth retrying: nothing to replay). */
  async release(id: string): Promise<void> {
    await this.keys.deleteOne({ _id: id, state: 'in_progress' }).exec();
  }
}
