-- CreateTable
CREATE TABLE "fill_markouts" (
    "fill_id" UUID NOT NULL,
    "horizon_seconds" INTEGER NOT NULL,
    "theo" DECIMAL(38,12) NOT NULL,
    "taker_markout" DECIMAL(38,12) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "fill_markouts_pkey" PRIMARY KEY ("fill_id","horizon_seconds")
);

-- AddForeignKey
ALTER TABLE "fill_markouts" ADD CONSTRAINT "fill_markouts_fill_id_fkey" FOREIGN KEY ("fill_id") REFERENCES "fills"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
