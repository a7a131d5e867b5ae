namespace Fabric.Remote;

/// <summary>How Fabric connects to nodes over SSH.</summary>
public sealed record RemoteOptions
{
    /// <summary>Folder of Fabric's key pair (<c>DataDir/ssh</c> in the appliance).</summary>
    public string KeyFolder { get; init; } = Path.Combine("data", "ssh");

    /// <summary>Time allowed for one TCP connect plus SSH handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Interval of SSH keep-alive messages on idle pooled connections.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of a command that sets none itself.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Further connection attempts after a failed one (refused, timed out, reset). Commands are never retried.</summary>
    public int ConnectRetries { get; init; } = 3;

    /// <summary>Delay before the first retry; each next one doubles, with jitter.</summary>
    public TimeSpan ConnectRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Commands run at once on one connection (OpenSSH's sshd allows 10 sessions per connection by default).</summary>
    public int MaxChannelsPerConnection { get; init; } = 8;

    /// <summary>Every problem at once, each naming its setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(KeyFolder))
        {
            problems.Add("KeyFolder: a folder is needed for Fabric's SSH key");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            problems.Add($"ConnectTimeout: {ConnectTimeout} is not a positive time span");
        }

        if (KeepAliveInterval <= TimeSpan.Zero)
        {
            problems.Add($"KeepAliveInterval: {KeepAliveInterval} is not a positive time span");
        }

        if (CommandTimeout <= TimeSpan.Zero)
        {
            problems.Add($"CommandTimeout: {CommandTimeout} is not a positive time span");
        }

        if (ConnectRetries is < 0 or > 20)
        {
            problems.Add($"ConnectRetries: {ConnectRetries} is not between 0 and 20");
        }

        if (ConnectRetryDelay < TimeSpan.Zero)
        {
            problems.Add($"ConnectRetryDelay: {ConnectRetryDelay} is negative");
        }

        if (MaxChannelsPerConnection is < 1 or > 64)
        {
            problems.Add($"MaxChannelsPerConnection: {MaxChannelsPerConnection} is not between 1 and 64");
        }

        return problems;
    }
}
