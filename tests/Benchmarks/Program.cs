using Benchmarks;

// One command per benchmark: dotnet run -c Release --project tests/Benchmarks -- <name> [--key value ...]
var arguments = new Arguments(args.Skip(1).ToArray());
switch (args.FirstOrDefault())
{
    case "inbox":
        await InboxBenchmark.RunAsync(arguments);
        break;
    case "ingest":
        await IngestBenchmark.RunAsync(arguments);
        break;
    case "e2e":
        await E2eBenchmark.RunAsync(arguments);
        break;
    case "shoper-rate":
        await ShoperRateBenchmark.RunAsync(arguments);
        break;
    case "orders":
        await OrdersBenchmark.RunAsync(arguments);
        break;
    case "purchase":
        await PurchaseBenchmark.RunAsync(arguments);
        break;
    case "pos":
        await PosBenchmark.RunAsync(arguments);
        break;
    case "bare-server":
        await BareServer.RunAsync(arguments);
        break;
    default:
        Console.WriteLine("""
            usage: dotnet run -c Release --project tests/Benchmarks -- <name> [options]
              inbox   [--events 1000000] [--concurrency 256] [--partitions 4] [--redis host:port] [--appendonly yes|no]
              ingest  [--duration 60] [--rate <per second>, default 80 % of the relay's max] [--probe 10] [--warmup 5]
                      [--connections 64] [--body 2048] [--workers off|on] [--partitions 4] [--redis host:port] [--appendonly yes|no]
              e2e     [--contacts 100000] [--store redis|embedded] [--redis host:port] [--appendonly yes|no] [--shop-rps <relay's Shopware pacing>, default 10]
              orders  [--orders 20000] [--per-minute 6000] [--store redis|embedded] [--redis host:port]
              purchase [--customers 100000] [--orders 300000] [--store redis|embedded] [--redis host:port] [--shop-rps <relay's Shopware pacing>, default 10]
              pos     [--products 20000] [--samples 10] [--store redis|embedded] [--redis host:port]
              shoper-rate [--duration 60] [--limit 10] [--bandwidth 2] [--store redis|embedded] [--redis host:port]
            """);
        return 2;
}
return 0;
