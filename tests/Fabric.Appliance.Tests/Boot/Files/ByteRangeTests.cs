using Fabric.Appliance.Boot.Files;

namespace Fabric.Appliance.Tests.Boot.Files;

public sealed class ByteRangeTests
{
    private const string Modified = "Tue, 01 Dec 2026 10:00:00 GMT";

    // RFC 9110 section 14.1.2: first-last, first-, -suffix; last clamped to the end; section 14.2: invalid or multiple
    // ranges may be ignored (the whole file), a first position past the end is unsatisfiable (416).
    [Theory]
    [InlineData("bytes=0-99", nameof(RangeKind.Partial), 0, 100)]
    [InlineData("bytes=100-", nameof(RangeKind.Partial), 100, 900)]
    [InlineData("bytes=-100", nameof(RangeKind.Partial), 900, 100)]
    [InlineData("bytes=-5000", nameof(RangeKind.Partial), 0, 1000)]
    [InlineData("bytes=990-5000", nameof(RangeKind.Partial), 990, 10)]
    [InlineData("bytes=999-999", nameof(RangeKind.Partial), 999, 1)]
    [InlineData("Bytes=0-0 ", nameof(RangeKind.Partial), 0, 1)]
    [InlineData("bytes=0-99999999999999999999999", nameof(RangeKind.Partial), 0, 1000)]
    [InlineData("bytes=1000-", nameof(RangeKind.Unsatisfiable), 0, 0)]
    [InlineData("bytes=5000-6000", nameof(RangeKind.Unsatisfiable), 0, 0)]
    [InlineData("bytes=-0", nameof(RangeKind.Unsatisfiable), 0, 0)]
    [InlineData("bytes=99999999999999999999999-", nameof(RangeKind.Unsatisfiable), 0, 0)]
    [InlineData("bytes=0-9,20-29", nameof(RangeKind.Whole), 0, 0)]
    [InlineData("bytes=9-0", nameof(RangeKind.Whole), 0, 0)]
    [InlineData("bytes=a-b", nameof(RangeKind.Whole), 0, 0)]
    [InlineData("bytes=-", nameof(RangeKind.Whole), 0, 0)]
    [InlineData("bytes=5", nameof(RangeKind.Whole), 0, 0)]
    [InlineData("items=0-9", nameof(RangeKind.Whole), 0, 0)]
    [InlineData("", nameof(RangeKind.Whole), 0, 0)]
    [InlineData(null, nameof(RangeKind.Whole), 0, 0)]
    public void Evaluate_FileOf1000Bytes_AsRfc9110(string? header, string expected, long start, long length)
    {
        var kind = Enum.Parse<RangeKind>(expected);
        var result = ByteRange.Evaluate(header, null, 1000, Modified, out var range);

        Assert.Equal(kind, result);
        if (kind == RangeKind.Partial)
        {
            Assert.Equal(new ByteRange(start, length), range);
        }
    }

    [Theory]
    [InlineData(Modified, nameof(RangeKind.Partial))]
    [InlineData("Mon, 30 Nov 2026 10:00:00 GMT", nameof(RangeKind.Whole))]
    [InlineData("\"etag-1\"", nameof(RangeKind.Whole))]
    public void Evaluate_IfRange_RangeOnlyWhenTheDateMatches(string ifRange, string expected)
    {
        Assert.Equal(Enum.Parse<RangeKind>(expected), ByteRange.Evaluate("bytes=10-19", ifRange, 1000, Modified, out _));
    }

    [Fact]
    public void Evaluate_EmptyFile_Whole()
    {
        Assert.Equal(RangeKind.Whole, ByteRange.Evaluate("bytes=0-9", null, 0, Modified, out _));
    }

    [Fact]
    public void End_Range_LastByteOffset()
    {
        Assert.Equal(109, new ByteRange(100, 10).End);
    }
}
