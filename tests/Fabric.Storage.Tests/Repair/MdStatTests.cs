using System.Runtime.CompilerServices;
using Fabric.Core;
using Fabric.Storage.Repair;

namespace Fabric.Storage.Tests.Repair;

/// <summary><c>/proc/mdstat</c> as Linux's md driver writes it (<c>md_seq_show</c>), from <c>Samples/</c>.</summary>
public sealed class MdStatTests
{
    private static string Sample(string name, [CallerFilePath] string source = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(source)!, "Samples", name));

    [Fact]
    public void Parse_Degraded_OneMemberMissingNotClean()
    {
        var array = Assert.Single(MdStat.Parse(Sample("degraded.txt")));

        Assert.Equal("md0", array.Name);
        Assert.Equal("/dev/md0", array.Device);
        Assert.Equal("raid1", array.Level);
        Assert.Equal((2, 1), (array.Slots, array.SlotsInUse));
        Assert.Equal("U_", array.Status);
        Assert.Null(array.Sync);
        Assert.False(array.IsClean);
        Assert.Equal(new AoeTarget(0, 1), Assert.Single(array.Members).AoeTarget);
        Assert.Null(array.MemberOf(new AoeTarget(1, 1)));
    }

    [Fact]
    public void Parse_FailedMember_MarkedFaulty()
    {
        var array = Assert.Single(MdStat.Parse(Sample("failed-member.txt")));

        var failed = array.MemberOf(new AoeTarget(1, 1));
        Assert.NotNull(failed);
        Assert.True(failed.Faulty);
        Assert.Equal(1, failed.Role);
        Assert.False(array.MemberOf(new AoeTarget(0, 1))!.Faulty);
        Assert.False(array.IsClean);
    }

    [Fact]
    public void Parse_RecoveringWithBitmap_BlocksDoneAndTotal()
    {
        var array = Assert.Single(MdStat.Parse(Sample("recovering-bitmap.txt")));

        Assert.Equal(new MdSync("recovery", 71936, 261056), array.Sync);
        Assert.Equal("U_", array.Status);
        Assert.Equal(2, array.MemberOf(new AoeTarget(1, 1))!.Role);
        Assert.False(array.IsClean);
    }

    [Fact]
    public void Parse_Clean_IsClean()
    {
        var array = Assert.Single(MdStat.Parse(Sample("clean.txt")));

        Assert.True(array.IsClean);
        Assert.Equal("UU", array.Status);
        Assert.Equal(2, array.Members.Count);
    }

    [Fact]
    public void Parse_ResyncSpareAndInactive_EveryArray()
    {
        var arrays = MdStat.Parse(Sample("resync.txt"));

        Assert.Equal(["md127", "md1", "md2"], arrays.Select(a => a.Name));
        Assert.Equal(new MdSync("resync", 4238336, 976630464), arrays[0].Sync);
        Assert.False(arrays[0].IsClean);
        Assert.Equal(["sdb1", "sda1"], arrays[0].Members.Select(m => m.Device));
        Assert.Null(arrays[0].Members[0].AoeTarget);
        Assert.True(arrays[1].Members[0].Spare);
        Assert.True(arrays[1].IsClean);
        Assert.False(arrays[2].Active);
        Assert.False(arrays[2].IsClean);
        Assert.Equal("sde1", Assert.Single(arrays[2].Members).Device);
    }

    [Fact]
    public void Parse_ResyncDelayed_SyncWithoutBlocks()
    {
        var array = Assert.Single(MdStat.Parse(Sample("delayed.txt")));

        Assert.Equal(new MdSync("resync", null, null), array.Sync);
        Assert.False(array.IsClean);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Personalities : \nunused devices: <none>\n")]
    [InlineData("md0 : active raid1 broken[x]\n   garbage\n")]
    public void Parse_NoArraysOrJunk_NoThrow(string text)
    {
        var arrays = MdStat.Parse(text);

        Assert.All(arrays, a => Assert.Empty(a.Members));
    }

    [Theory]
    [InlineData("etherd/e1.1", 1, 1)]
    [InlineData("etherd!e12.254", 12, 254)]
    public void AoeTarget_EtherdDevice_Parsed(string device, int shelf, int slot)
    {
        Assert.Equal(new AoeTarget(shelf, slot), new MdMember(device, 0, false, false).AoeTarget);
    }
}
