using Fabric.Core.Events;

namespace Fabric.Core.Tests.Events;

public sealed class ActorTests
{
    public static TheoryData<string, ActorKind, string?> WireForms() => new()
    {
        { "admin", ActorKind.Admin, null },
        { "admin (web)", ActorKind.Admin, "web" },
        { "token:deploy-script", ActorKind.Token, "deploy-script" },
        { "node:hnode01", ActorKind.Node, "hnode01" },
        { "boot", ActorKind.Boot, null },
        { "appliance", ActorKind.Appliance, null },
        { "job:42", ActorKind.Job, "42" },
    };

    [Theory]
    [MemberData(nameof(WireForms))]
    public void TryParse_EveryWireForm_RoundTrips(string text, ActorKind kind, string? name)
    {
        Assert.True(Actor.TryParse(text, out var actor));

        Assert.Equal((kind, name), (actor.Kind, actor.Name));
        Assert.Equal(text, actor.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("root")]
    [InlineData("node:")]
    [InlineData(":x")]
    [InlineData("user:bob")]
    public void TryParse_NotAnActor_False(string text)
    {
        Assert.False(Actor.TryParse(text, out _));
        Assert.Throws<FormatException>(() => Actor.Parse(text));
    }

    [Fact]
    public void Factories_WireText_OnePlaceForEveryForm()
    {
        Assert.Equal(
            ["admin", "admin (web)", "token:ci", "node:h1", "boot", "appliance", "job:7"],
            new[] { Actor.Admin, Actor.AdminVia("web"), Actor.Token("ci"), Actor.Node("H1"), Actor.Boot, Actor.Appliance, Actor.Job("7") }.Select(a => a.ToString()));
    }

    [Fact]
    public void EventKind_FromWire_KnownKindsAreTheSameValueUnknownKeepText()
    {
        Assert.All(EventKind.All, k => Assert.Equal(k, EventKind.FromWire(k.Wire)));
        Assert.Equal(EventKind.All.Count, EventKind.All.Select(k => k.Wire).Distinct().Count());
        Assert.Equal("from-a-newer-version", EventKind.FromWire("from-a-newer-version").Wire);
    }
}
