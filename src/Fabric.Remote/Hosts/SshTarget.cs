namespace Fabric.Remote.Hosts;

/// <summary>Where and as whom Fabric runs commands on a node, and the host key the node must present.</summary>
/// <param name="Host">IP address or DNS name.</param>
/// <param name="Port">TCP port of the SSH server.</param>
/// <param name="User">Login user.</param>
/// <param name="PinnedHostKey">The node's host key (<c>ssh-ed25519 AAAA...</c>); a target without one is refused.</param>
public sealed record SshTarget(string Host, int Port, string User, string? PinnedHostKey)
{
    public const int DefaultPort = 22;
    public const string DefaultUser = "root";

    /// <summary><c>host:port</c>, with brackets around an IPv6 address, as error messages name it.</summary>
    public string Address => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public override string ToString() => $"{User}@{Address}";

    /// <summary>Every problem with this target at once, each naming its field; empty when it can be connected to.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Host) || Host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || Host.StartsWith('-'))
        {
            problems.Add($"host: '{Host}' is not a host name or address");
        }

        if (Port is < 1 or > 65535)
        {
            problems.Add($"port: {Port} is not a TCP port (1-65535)");
        }

        if (string.IsNullOrEmpty(User) || User.Length > 32 || User.StartsWith('-') || !User.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            problems.Add($"user: '{User}' is not a user name");
        }

        if (string.IsNullOrWhiteSpace(PinnedHostKey))
        {
            problems.Add("hostKey: no host key is pinned; Fabric does not trust a host key on first use");
        }
        else if (!HostKey.TryParse(PinnedHostKey, out _, out var error))
        {
            problems.Add($"hostKey: {error}");
        }

        return problems;
    }
}
