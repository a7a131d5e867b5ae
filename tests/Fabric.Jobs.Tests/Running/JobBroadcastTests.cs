using Fabric.Jobs.Model;
using Fabric.Jobs.Running;

namespace Fabric.Jobs.Tests.Running;

public sealed class JobBroadcastTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Publish_SlowSubscriber_KeepsNewestUpdatesIncludingTheLast()
    {
        var broadcast = new JobBroadcast();
        using var subscription = broadcast.Subscribe(7);

        for (int i = 0; i < JobBroadcast.QueueLength + 10; i++)
        {
            broadcast.Publish(new JobLogUpdate(7, T0, $"line {i}"));
        }

        broadcast.Publish(new JobLogUpdate(8, T0, "another job"));
        var lines = new List<string>();
        while (subscription.Updates.TryRead(out var update))
        {
            lines.Add(((JobLogUpdate)update).Line);
        }

        Assert.Equal(JobBroadcast.QueueLength, lines.Count);
        Assert.Equal($"line {JobBroadcast.QueueLength + 9}", lines[^1]);
        Assert.DoesNotContain("another job", lines);
    }

    [Fact]
    public void Dispose_Subscription_UnsubscribesAndCompletes()
    {
        var broadcast = new JobBroadcast();
        var subscription = broadcast.Subscribe(7);
        Assert.Equal(1, broadcast.SubscriberCount(7));

        subscription.Dispose();
        broadcast.Publish(new JobLogUpdate(7, T0, "late"));

        Assert.Equal(0, broadcast.SubscriberCount(7));
        Assert.True(subscription.Updates.Completion.IsCompleted);
        Assert.False(subscription.Updates.TryRead(out _));
    }
}
