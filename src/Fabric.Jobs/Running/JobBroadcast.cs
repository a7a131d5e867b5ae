using System.Threading.Channels;

namespace Fabric.Jobs.Running;

/// <summary>An in-process broadcast of job updates. Each subscriber has its own bounded queue that drops its oldest
/// updates when the subscriber falls behind, so a slow reader never holds the runner back and always gets the newest
/// update (the final state last).</summary>
internal sealed class JobBroadcast
{
    internal const int QueueLength = 1024;

    private readonly Lock _lock = new();
    private readonly Dictionary<long, List<Channel<JobUpdate>>> _subscribers = [];

    public JobSubscription Subscribe(long jobId)
    {
        var channel = Channel.CreateBounded<JobUpdate>(new BoundedChannelOptions(QueueLength)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_lock)
        {
            if (!_subscribers.TryGetValue(jobId, out var list))
            {
                _subscribers[jobId] = list = [];
            }

            list.Add(channel);
        }

        return new JobSubscription(channel.Reader, () => Unsubscribe(jobId, channel));
    }

    public void Publish(JobUpdate update)
    {
        lock (_lock)
        {
            if (_subscribers.TryGetValue(update.JobId, out var list))
            {
                foreach (var channel in list)
                {
                    channel.Writer.TryWrite(update);
                }
            }
        }
    }

    internal int SubscriberCount(long jobId)
    {
        lock (_lock)
        {
            return _subscribers.TryGetValue(jobId, out var list) ? list.Count : 0;
        }
    }

    private void Unsubscribe(long jobId, Channel<JobUpdate> channel)
    {
        lock (_lock)
        {
            if (_subscribers.TryGetValue(jobId, out var list) && list.Remove(channel) && list.Count == 0)
            {
                _subscribers.Remove(jobId);
            }
        }

        channel.Writer.TryComplete();
    }
}

/// <summary>A subscription to one job's updates; dispose it to stop receiving.</summary>
public sealed class JobSubscription(ChannelReader<JobUpdate> reader, Action unsubscribe) : IDisposable
{
    private int _disposed;

    public ChannelReader<JobUpdate> Updates { get; } = reader;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            unsubscribe();
        }
    }
}
