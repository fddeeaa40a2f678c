import { Inject, Injectable } from '@nestjs/common';
import { Clock, JsonLogger } from '@app/common';
import { PluginDataService } from '../runtime/plugin-data.service.js';
import { FaultPoints, type FaultPoint } from './fault-points.js';
import type {
  Actor,
  InstallationTarget,
  Operation,
  OperationKind,
  OperationPhase,
  OperationStep,
} from './installation.entity.js';
import { InstallationRepository } from './persistence/installation.repository.js';
import { OperationRepository } from './persistence/operation.repository.js';
import { targetKey } from './targets.js';

export interface RecoveryReport {
  rolledBack: Array<{ id: string; kind: OperationKind; keys: string[] }>;
  completed: Array<{ id: string; kind: OperationKind; keys: string[] }>;
}

/**
 * The operation journal of multi-step operations (install with dependencies, update, uninstall). An operation is
 * journaled with every step before its first change (`begin`, which also takes the target's lock), marks each
 * installation it writes with its id, and ends by releasing them and deleting its entry (`commit`). Installations
 * an operation holds are invisible to the boot reload and refused to other changes.
 *
 * A one-step install skips the `done` phase: its installation is settled and released in one write, which is its
 * commit, and then its entry is deleted.
 *
 * After a crash, `recover` (at start-up, before anything is loaded) looks at what is left: an install or update
 * that was not done is rolled back (new installations deleted with their data, replaced ones restored from the
 * journal's snapshot, so the old version runs again); one that was done is completed; an uninstall is always
 * completed (its removal had been decided). The journal ends empty either way.
 */
@Injectable()
export class OperationJournal {
  private readonly logger: JsonLogger;

  constructor(
    private readonly operations: OperationRepository,
    private readonly installations: InstallationRepository,
    private readonly data: PluginDataService,
    private readonly faults: FaultPoints,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('OperationJournal');
  }

  create(kind: OperationKind, target: InstallationTarget, actor: Actor, steps: OperationStep[]): Operation {
    return {
      id: this.operations.newId(),
      kind,
      lock: targetKey(target),
      actor,
      phase: 'prepared',
      steps,
      createdAt: this.clock.now(),
    };
  }

  /** Journals the operation; OperationInProgressError while another one holds the target. */
  async begin(op: Operation): Promise<void> {
    await this.operations.begin(op);
  }

  async phase(op: Operation, phase: OperationPhase): Promise<void> {
    await this.operations.setPhase(op.id, phase);
    op.phase = phase;
  }

  /** The test seam of the crash tests (inert unless configured). */
  fault(point: FaultPoint): void {
    this.faults.hit(point);
  }

  /** Marks the operation done, releases what it wrote, drops the retained settings it took over, ends it. */
  async commit(op: Operation): Promise<void> {
    await this.phase(op, 'done');
    if (op.kind !== 'uninstall') this.fault(`${op.kind}.committed`);
    await this.complete(op);
  }

  /**
   * Ends a one-step install whose installation was settled and released in one write (that write was the
   * commit): drops the retained settings it took over, ends it.
   */
  async commitReleased(op: Operation): Promise<void> {
    await this.dropRetainedOf(op);
    await this.operations.end(op.id);
  }

  /** Ends an operation that changed nothing (it could not take what it needed). */
  async abandon(op: Operation): Promise<void> {
    await this.operations.end(op.id);
  }

  /** Undoes an install or update that did not finish (documents and data; the caller handles the runtime). */
  async rollback(op: Operation): Promise<void> {
    for (const step of [...op.steps].reverse()) {
      const current = await this.installations.find(step.installationId);
      switch (step.action) {
        case 'create':
          // Not (or no longer) this operation's: not for it to undo.
          if (current && current.operationId !== op.id) break;
          if (current) await this.installations.delete(step.installationId, op.id);
          // A reused id keeps the storage of the retained settings; a fresh one has nothing worth keeping.
          if (!step.reusedRetained) await this.data.clear(step.installationId);
          break;
        case 'replace':
        case 'remove':
          if (step.before && (!current || current.operationId === op.id)) {
            await this.installations.replace({ ...step.before, operationId: null });
          }
          break;
      }
    }
    await this.operations.end(op.id);
  }

  /**
   * Removes an uninstalled installation: its settings and plugin storage go (delete_config), or are retained
   * for the next install in the target; then the document. Idempotent, so recovery can run it again.
   */
  async finishRemoval(step: OperationStep): Promise<void> {
    const before = step.before;
    if (step.deleteConfig !== false || !before) {
      await this.data.clear(step.installationId);
    } else {
      await this.installations.retain({
        pluginKey: step.pluginKey,
        target: before.target,
        installationId: step.installationId,
        config: before.config,
        secrets: before.secrets,
        retainedAt: this.clock.now(),
      });
    }
    await this.installations.delete(step.installationId);
  }

  /** Start-up: finishes or undoes whatever a crash left in the journal. */
  async recover(): Promise<RecoveryReport> {
    const report: RecoveryReport = { rolledBack: [], completed: [] };
    for (const op of await this.operations.list()) {
      const entry = { id: op.id, kind: op.kind, keys: op.steps.map((s) => s.pluginKey) };
      if (op.kind === 'uninstall') {
        for (const step of op.steps) await this.finishRemoval(step);
        await this.operations.end(op.id);
        report.completed.push(entry);
      } else if (op.phase === 'done') {
        await this.complete(op);
        report.completed.push(entry);
      } else if (await this.settledOneStep(op)) {
        await this.commitReleased(op);
        report.completed.push(entry);
      } else {
        await this.rollback(op);
        report.rolledBack.push(entry);
      }
      this.logger.warn('Recovered an interrupted operation', {
        operation_id: op.id,
        kind: op.kind,
        phase: op.phase,
        outcome: report.completed.at(-1) === entry ? 'completed' : 'rolled_back',
        plugins: entry.keys,
      });
    }
    return report;
  }

  /** A one-step install whose installation was settled and released (its commit) before the crash. */
  private async settledOneStep(op: Operation): Promise<boolean> {
    const [step] = op.steps;
    if (op.kind !== 'install' || op.steps.length !== 1 || step.action !== 'create') return false;
    return (await this.installations.find(step.installationId))?.operationId === null;
  }

  private async complete(op: Operation): Promise<void> {
    await this.installations.releaseOperation(op.id);
    await this.dropRetainedOf(op);
    await this.operations.end(op.id);
  }

  private async dropRetainedOf(op: Operation): Promise<void> {
    for (const step of op.steps) if (step.reusedRetained) await this.installations.dropRetained(step.installationId);
  }
}
