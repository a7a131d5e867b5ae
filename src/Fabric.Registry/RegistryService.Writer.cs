namespace Fabric.Registry;

internal sealed partial class RegistryService
{
    /// <summary>Queues one write for the single writer. The action gets the snapshot as left by the writes before it
    /// and returns its result and the snapshot to publish. A store conflict (e.g. another writer on the same
    /// database) comes back as a conflict and undoes only that write; a store failure fails the whole group.</summary>
    private Task<RegistryResult<T>> WriteAsync<T>(Func<RegistrySnapshot, IRegistryBatch, (RegistryResult<T> Result, RegistrySnapshot Next)> action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var operation = new WriteOperation<T>(action);
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(operation), this);

        return operation.Completion.Task;
    }

    /// <summary>Group commit: takes every queued write (up to <see cref="MaxBatch"/>), runs each as one operation of one
    /// batch, commits once (one fsync for the group), then publishes the snapshot and completes the callers.</summary>
    private async Task WriterLoop()
    {
        var group = new List<WriteOperation>(MaxBatch);
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            while (group.Count < MaxBatch && _writes.Reader.TryRead(out var operation))
            {
                group.Add(operation);
            }

            var snapshot = _snapshot.Touched.IsEmpty ? _snapshot : _snapshot with { Touched = _snapshot.Touched.Clear() };
            try
            {
                using var batch = _store.BeginBatch();
                foreach (var operation in group)
                {
                    batch.BeginOperation();
                    try
                    {
                        snapshot = operation.Run(snapshot, batch);
                        batch.EndOperation();
                    }
                    catch (RegistryConflictException e)
                    {
                        batch.UndoOperation();
                        operation.Reject(new RegistryError(RegistryErrorKind.Conflict, [e.Error]));
                    }
                    catch (Exception e) when (e is not RegistryStoreException)
                    {
                        batch.UndoOperation();
                        operation.Fault(e);
                    }
                }

                batch.Commit();
            }
            catch (Exception e)
            {
                var failure = e as RegistryStoreException ?? new RegistryStoreException($"the registry could not write: {e.Message}", e);
                _metrics.WriteFailed();
                foreach (var operation in group)
                {
                    operation.Fault(failure);
                    operation.Complete();
                }

                continue;
            }

            var before = _snapshot;
            _snapshot = snapshot;
            Publish(before, snapshot);
            foreach (var operation in group)
            {
                operation.Complete();
            }
        }
    }

    private abstract class WriteOperation
    {
        public abstract RegistrySnapshot Run(RegistrySnapshot snapshot, IRegistryBatch batch);

        public abstract void Reject(RegistryError error);

        public abstract void Fault(Exception exception);

        public abstract void Complete();
    }

    private sealed class WriteOperation<T>(Func<RegistrySnapshot, IRegistryBatch, (RegistryResult<T> Result, RegistrySnapshot Next)> action) : WriteOperation
    {
        private RegistryResult<T> _result;
        private Exception? _exception;

        public TaskCompletionSource<RegistryResult<T>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override RegistrySnapshot Run(RegistrySnapshot snapshot, IRegistryBatch batch)
        {
            var (result, next) = action(snapshot, batch);
            _result = result;
            return next;
        }

        public override void Reject(RegistryError error) => _result = RegistryResult<T>.Fail(error);

        public override void Fault(Exception exception) => _exception ??= exception;

        public override void Complete()
        {
            if (_exception is not null)
            {
                Completion.TrySetException(_exception);
            }
            else
            {
                Completion.TrySetResult(_result);
            }
        }
    }
}
