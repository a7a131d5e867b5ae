using System.Net;
using Fabric.Tftp.Channel;

namespace Fabric.Tftp.Tests.Channel;

public class ClientSlotsTests
{
    private static readonly IPAddress A = IPAddress.Parse("10.0.0.5");
    private static readonly IPAddress B = IPAddress.Parse("10.0.0.6");

    [Fact]
    public void TryAcquire_UpToTheLimitPerAddress_ThenRefusedOthersUnaffected()
    {
        var slots = new ClientSlots(2);

        Assert.True(slots.TryAcquire(A));
        Assert.True(slots.TryAcquire(A));
        Assert.False(slots.TryAcquire(A));
        Assert.True(slots.TryAcquire(B));
        Assert.Equal(2, slots.Held(A));
    }

    [Fact]
    public void Release_FreesOneSlot_AndForgetsAnAddressAtZero()
    {
        var slots = new ClientSlots(1);
        Assert.True(slots.TryAcquire(A));

        slots.Release(A);
        slots.Release(A);

        Assert.Equal(0, slots.Held(A));
        Assert.True(slots.TryAcquire(A));
        Assert.False(slots.TryAcquire(A));
    }
}
