using System.Globalization;

namespace Fabric.Tftp.Commands;

/// <summary>What a server is willing to grant during option negotiation.</summary>
public sealed record TftpNegotiationLimits(int MaxBlockSize = TftpOptionNegotiator.MaxBlockSize, int MaxWindowSize = TftpOptionNegotiator.MaxWindowSize);

/// <summary>The outcome of negotiation: transfer parameters and the options to put in the OACK.</summary>
public sealed record TftpNegotiatedOptions(int BlockSize, int WindowSize, TimeSpan? Timeout, IReadOnlyList<TftpOption> Accepted)
{
    /// <summary>Plain RFC 1350: 512-byte blocks, one block per ACK, no OACK.</summary>
    public static TftpNegotiatedOptions Default { get; } = new(TftpOptionNegotiator.DefaultBlockSize, 1, null, []);
}

/// <summary>
/// Option negotiation for a read request: RFC 2347 (framework), 2348 (blksize 8..65464),
/// 2349 (timeout 1..255 seconds, tsize), 7440 (windowsize 1..65535, granted up to the server's limit).
/// Unknown, out-of-range and non-numeric options are ignored (RFC 2347: the server omits options it
/// does not accept), so a request whose options are all ignored gets plain RFC 1350.
/// </summary>
public static class TftpOptionNegotiator
{
    public const int DefaultBlockSize = 512;
    public const int MinBlockSize = 8;
    public const int MaxBlockSize = 65464;
    public const int MaxWindowSize = 64;

    public static TftpNegotiatedOptions Negotiate(IReadOnlyList<TftpOption> requested, long transferSize, TftpNegotiationLimits limits)
    {
        if (requested.Count == 0)
        {
            return TftpNegotiatedOptions.Default;
        }

        int blockSize = DefaultBlockSize;
        int windowSize = 1;
        TimeSpan? timeout = null;
        var accepted = new List<TftpOption>(4);
        foreach (var option in requested)
        {
            switch (option.Name)
            {
                case "blksize" when TryNumber(option.Value, out long value) && value is >= MinBlockSize and <= MaxBlockSize:
                    blockSize = (int)Math.Min(value, Math.Clamp(limits.MaxBlockSize, MinBlockSize, MaxBlockSize));
                    accepted.Add(new TftpOption("blksize", blockSize.ToString(CultureInfo.InvariantCulture)));
                    break;
                case "timeout" when TryNumber(option.Value, out long value) && value is >= 1 and <= 255:
                    timeout = TimeSpan.FromSeconds(value);
                    accepted.Add(new TftpOption("timeout", value.ToString(CultureInfo.InvariantCulture)));
                    break;
                // An empty file gets no tsize: curl refuses "tsize 0" in an OACK and aborts.
                case "tsize" when TryNumber(option.Value, out _) && transferSize > 0:
                    accepted.Add(new TftpOption("tsize", transferSize.ToString(CultureInfo.InvariantCulture)));
                    break;
                case "windowsize" when TryNumber(option.Value, out long value) && value is >= 1 and <= 65535:
                    windowSize = (int)Math.Min(value, Math.Clamp(limits.MaxWindowSize, 1, 65535));
                    accepted.Add(new TftpOption("windowsize", windowSize.ToString(CultureInfo.InvariantCulture)));
                    break;
            }
        }

        return new TftpNegotiatedOptions(blockSize, windowSize, timeout, accepted);
    }

    /// <summary>A plain decimal number: digits only, no sign, no spaces, at most 10 digits.</summary>
    private static bool TryNumber(string text, out long value)
    {
        value = 0;
        if (text.Length is 0 or > 10)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
