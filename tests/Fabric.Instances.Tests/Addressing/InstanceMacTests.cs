using Fabric.Core;
using Fabric.Instances.Addressing;

namespace Fabric.Instances.Tests.Addressing;

public sealed class InstanceMacTests
{
    [Fact]
    public void Generate_ThousandDraws_AllLocallyAdministeredUnicastAndDistinct()
    {
        var random = new Random(12);
        var seen = new HashSet<MacAddress>();

        for (int i = 0; i < 1000; i++)
        {
            var mac = InstanceMac.Generate(seen.Contains, random);

            Assert.NotNull(mac);
            Assert.True(InstanceMac.IsLocalUnicast(mac.Value), mac.ToString());
            Assert.False(mac.Value.IsMulticast);
            Assert.True(seen.Add(mac.Value));
        }
    }

    [Fact]
    public void Generate_FirstDrawTaken_DrawsAgainAndSkipsIt()
    {
        var first = InstanceMac.Generate(_ => false, new Random(7))!.Value;

        var second = InstanceMac.Generate(m => m == first, new Random(7));

        Assert.NotNull(second);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Generate_EverythingTaken_NullAfterBoundedAttempts()
    {
        int asked = 0;

        var mac = InstanceMac.Generate(_ => ++asked > 0, new Random(1));

        Assert.Null(mac);
        Assert.Equal(InstanceMac.Attempts, asked);
    }

    [Theory]
    [InlineData("02:00:00:00:00:01", true)]
    [InlineData("0e:fa:b0:12:34:56", true)]
    [InlineData("52:54:00:12:34:56", true)]
    [InlineData("00:16:3e:12:34:56", false)]
    [InlineData("03:00:00:00:00:01", false)]
    public void IsLocalUnicast_Address_TrueOnlyForLocalUnicast(string text, bool expected)
    {
        Assert.Equal(expected, InstanceMac.IsLocalUnicast(MacAddress.Parse(text)));
    }
}
