using System.Diagnostics.CodeAnalysis;

namespace Fabric.Core.Events;

/// <summary>What kind of party acts on a node.</summary>
public enum ActorKind
{
    /// <summary>An operator with the admin token (API, CLI or web page).</summary>
    Admin,

    /// <summary>A script or operator with a named API token.</summary>
    Token,

    /// <summary>A node with its own boot token (boot reports).</summary>
    Node,

    /// <summary>The anonymous boot endpoints acting for whoever asked (boot scripts, discovery).</summary>
    Boot,

    /// <summary>The appliance itself (timeouts, sweeps).</summary>
    Appliance,

    /// <summary>A job.</summary>
    Job,
}

/// <summary>Who did something, as recorded in a node's event log: <c>admin</c>, <c>token:NAME</c>, <c>node:NAME</c>,
/// <c>boot</c>, <c>appliance</c> or <c>job:ID</c>. The wire text is made and read here only.</summary>
public readonly record struct Actor
{
    private Actor(ActorKind kind, string? name)
    {
        Kind = kind;
        Name = name;
    }

    public ActorKind Kind { get; }

    /// <summary>The token, node or job name; for <see cref="ActorKind.Admin"/> the channel (e.g. <c>web</c>), if any.</summary>
    public string? Name { get; }

    public static Actor Admin { get; } = new(ActorKind.Admin, null);

    /// <summary>The admin acting through a channel worth recording, e.g. <c>admin (web)</c>.</summary>
    public static Actor AdminVia(string channel) => new(ActorKind.Admin, Required(channel));

    public static Actor Boot { get; } = new(ActorKind.Boot, null);

    public static Actor Appliance { get; } = new(ActorKind.Appliance, null);

    public static Actor Token(string name) => new(ActorKind.Token, Required(name));

    public static Actor Node(string name) => new(ActorKind.Node, Required(name).ToLowerInvariant());

    public static Actor Job(string id) => new(ActorKind.Job, Required(id));

    public override string ToString() => (Kind, Name) switch
    {
        (ActorKind.Admin, null) => "admin",
        (ActorKind.Admin, var channel) => $"admin ({channel})",
        (ActorKind.Boot, _) => "boot",
        (ActorKind.Appliance, _) => "appliance",
        (var kind, var name) => $"{kind.ToWire()}:{name}",
    };

    public static bool TryParse([NotNullWhen(true)] string? text, out Actor actor)
    {
        actor = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        switch (text)
        {
            case "admin":
                actor = Admin;
                return true;
            case "boot":
                actor = Boot;
                return true;
            case "appliance":
                actor = Appliance;
                return true;
        }

        if (text.StartsWith("admin (", StringComparison.Ordinal) && text.EndsWith(')') && text.Length > "admin ()".Length)
        {
            actor = AdminVia(text["admin (".Length..^1]);
            return true;
        }

        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var name = text[(colon + 1)..];
        switch (text[..colon])
        {
            case "token":
                actor = Token(name);
                return true;
            case "node":
                actor = Node(name);
                return true;
            case "job":
                actor = Job(name);
                return true;
            default:
                return false;
        }
    }

    public static Actor Parse(string text) =>
        TryParse(text, out var actor) ? actor : throw new FormatException($"'{text}' is not an actor (admin, token:NAME, node:NAME, boot, appliance or job:ID).");

    private static string Required(string value) =>
        string.IsNullOrWhiteSpace(value) ? throw new ArgumentException("An actor's name is not empty.", nameof(value)) : value.Trim();
}

public static class ActorKindNames
{
    public static string ToWire(this ActorKind kind) => kind switch
    {
        ActorKind.Admin => "admin",
        ActorKind.Token => "token",
        ActorKind.Node => "node",
        ActorKind.Boot => "boot",
        ActorKind.Appliance => "appliance",
        ActorKind.Job => "job",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
