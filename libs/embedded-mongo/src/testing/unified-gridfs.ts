import { BSON, GridFSBucket, MongoRuntimeError, type Collection, type Db, type Document } from 'mongodb';
import { Skip } from './unified-runner.js';

type Doc = Record<string, unknown>;

/** The unified format's bucket entity: a GridFSBucket on the database entity, with the spec's bucketOptions. */
export function createBucket(db: Db, options: Doc | undefined): GridFSBucket {
  const { bucketName, chunkSizeBytes, ...rest } = options ?? {};
  if (Object.keys(rest).length > 0) throw new Skip(`bucketOptions ${Object.keys(rest).join(',')}`);
  return new GridFSBucket(db, {
    ...(typeof bucketName === 'string' && { bucketName }),
    ...(typeof chunkSizeBytes === 'number' && { chunkSizeBytes }),
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<BSON.Binary> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return new BSON.Binary(Buffer.concat(parts));
}

/** The bucket's files and chunks collections, as the driver names them (bucketName, default "fs"). */
function collections(bucket: GridFSBucket): { files: Collection; chunks: Collection } {
  const s = (bucket as unknown as { s: { _filesCollection: Collection; _chunksCollection: Collection } }).s;
  return { files: s._filesCollection, chunks: s._chunksCollection };
}

/**
 * The GridFS spec's bucket operations. download/delete/renameById are the Node driver's helpers; the Node driver
 * (7.8) has no deleteByName and renameByName, so those run as the GridFS spec defines them, through the bucket's
 * files and chunks collections: the engine answers every query and write, and a name no file has is an error.
 */
export async function bucketOperation(name: string, bucket: GridFSBucket, args: Doc): Promise<unknown> {
  switch (name) {
    case 'download':
      return readAll(bucket.openDownloadStream(args.id as BSON.ObjectId));
    case 'downloadByName': {
      const revision = typeof args.revision === 'number' ? { revision: args.revision } : {};
      return readAll(bucket.openDownloadStreamByName(args.filename as string, revision));
    }
    case 'delete':
      await bucket.delete(args.id as BSON.ObjectId);
      return undefined;
    case 'renameById':
      await bucket.rename(args.id as BSON.ObjectId, args.newFilename as string);
      return undefined;
    case 'deleteByName': {
      const { files, chunks } = collections(bucket);
      const found = await files.find({ filename: args.filename }, { projection: { _id: 1 } }).toArray();
      if (found.length === 0) throw new MongoRuntimeError(`FileNotFound: no file named ${String(args.filename)}`);
      const ids: Document = { $in: found.map((d: Document) => d._id as unknown) };
      await files.deleteMany({ _id: ids });
      await chunks.deleteMany({ files_id: ids });
      return undefined;
    }
    case 'renameByName': {
      const { files } = collections(bucket);
      const { matchedCount } = await files.updateMany(
        { filename: args.filename },
        { $set: { filename: args.newFilename } },
      );
      if (matchedCount === 0) throw new MongoRuntimeError(`FileNotFound: no file named ${String(args.filename)}`);
      return undefined;
    }
    default:
      throw new Skip(`bucket ${name}`);
  }
}
