using Fabric.Core;

namespace Fabric.Core.Tests;

public class RootSpecTests
{
    [Theory]
    [InlineData("aoe:e0.1", RootTransport.Aoe)]
    [InlineData("aoe-md:e0.1,e1.1", RootTransport.AoeMd)]
    [InlineData("nfs:10.0.0.5:/srv/roots/hnode01", RootTransport.Nfs)]
    public void TryParse_ValidForms_RoundTrip(string text, RootTransport transport)
    {
        Assert.True(RootSpec.TryParse(text, out var spec, out _));
        Assert.Equal(transport, spec.Transport);
        Assert.Equal(text, spec.ToString());
    }

    [Theory]
    [InlineData("aoe:e0")]
    [InlineData("aoe:e70000.1")]
    [InlineData("aoe:e0.255")]
    [InlineData("aoe-md:e0.1")]
    [InlineData("aoe-md:e0.1,e0.1")]
    [InlineData("nfs:host:relative")]
    [InlineData("nfs:host:/a/../b")]
    [InlineData("nfs:host:/a;reboot")]
    [InlineData("iscsi:foo")]
    public void TryParse_Invalid_GivesReason(string text)
    {
        Assert.False(RootSpec.TryParse(text, out _, out var reason));
        Assert.False(string.IsNullOrEmpty(reason));
    }
}
