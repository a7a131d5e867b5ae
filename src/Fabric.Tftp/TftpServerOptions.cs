using System.Net;
using Fabric.Tftp.Commands;

namespace Fabric.Tftp;

/// <summary>Settings of the TFTP server; validated at start-up with every error reported at once.</summary>
public sealed record TftpServerOptions
{
    /// <summary>Where the server listens for requests (port 69 in production, 0 for an ephemeral port in tests).</summary>
    public IPEndPoint? Endpoint { get; init; }

    /// <summary>The folder served (Fabric:BootDir).</summary>
    public string Root { get; init; } = "";

    /// <summary>Transfers served at once; a request beyond it evicts the oldest transfer never acknowledged, or gets "server busy".</summary>
    public int MaxTransfers { get; init; } = 1000;

    /// <summary>Retransmission timeout when the client does not ask for one (RFC 2349 timeout).</summary>
    public TimeSpan RetransmitTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive timeouts after which a silent client is dropped.</summary>
    public int MaxRetries { get; init; } = 5;

    public int MaxBlockSize { get; init; } = TftpOptionNegotiator.MaxBlockSize;

    public int MaxWindowSize { get; init; } = TftpOptionNegotiator.MaxWindowSize;

    /// <summary>Files up to this size are kept in memory.</summary>
    public long CacheMaxFileBytes { get; init; } = 64L << 20;

    /// <summary>Bound of the in-memory file cache.</summary>
    public long CacheMaxTotalBytes { get; init; } = 256L << 20;

    /// <summary>Largest file served in netascii mode (converted in memory once per file version and cached).</summary>
    public long MaxNetasciiBytes { get; init; } = 16L << 20;

    /// <summary>Transfers one client address may hold at once (<c>Fabric:Tftp:MaxTransfersPerClient</c>); a request
    /// beyond it gets an ERROR packet and is counted, so one host cannot take every slot.</summary>
    public int MaxTransfersPerClient { get; init; } = 32;

    /// <summary>Seconds a transfer is kept while its client acknowledges nothing new (<c>Fabric:Tftp:MaxIdleSeconds</c>),
    /// whatever retransmission timeout the client negotiated (RFC 2349 allows up to 255 s per retry).</summary>
    public int MaxIdleSeconds { get; init; } = 30;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Endpoint is null)
        {
            errors.Add("Endpoint is required (address:port).");
        }

        if (string.IsNullOrWhiteSpace(Root))
        {
            errors.Add("Root is required.");
        }
        else if (!Directory.Exists(Root))
        {
            errors.Add($"Root '{Root}' does not exist.");
        }

        if (MaxTransfers < 1)
        {
            errors.Add("MaxTransfers must be at least 1.");
        }

        if (RetransmitTimeout <= TimeSpan.Zero || RetransmitTimeout > TimeSpan.FromSeconds(255))
        {
            errors.Add("RetransmitTimeout must be between 0 and 255 seconds.");
        }

        if (MaxRetries < 0)
        {
            errors.Add("MaxRetries must not be negative.");
        }

        if (MaxBlockSize is < TftpOptionNegotiator.MinBlockSize or > TftpOptionNegotiator.MaxBlockSize)
        {
            errors.Add($"MaxBlockSize must be between {TftpOptionNegotiator.MinBlockSize} and {TftpOptionNegotiator.MaxBlockSize}.");
        }

        if (MaxWindowSize is < 1 or > 65535)
        {
            errors.Add("MaxWindowSize must be between 1 and 65535.");
        }

        if (CacheMaxFileBytes < 0 || CacheMaxTotalBytes < 0 || CacheMaxFileBytes > int.MaxValue)
        {
            errors.Add("Cache sizes must be between 0 and 2 GiB per file.");
        }

        if (MaxNetasciiBytes < 0 || MaxNetasciiBytes > int.MaxValue / 2)
        {
            errors.Add("MaxNetasciiBytes must be between 0 and 1 GiB.");
        }

        if (MaxTransfersPerClient < 1)
        {
            errors.Add("MaxTransfersPerClient must be at least 1.");
        }

        if (MaxIdleSeconds is < 1 or > 3600)
        {
            errors.Add("MaxIdleSeconds must be between 1 and 3600.");
        }

        return errors;
    }
}
